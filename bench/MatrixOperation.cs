using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>
/// outputs ^= matrix · sources with a rows × k matrix: encode (the code's f × n matrix) and decode (the
/// recovery matrix, an encode with one output per lost primary). Ours is GfKernel.Encode; ISA-L's is
/// ec_encode_data on tables built once from the same matrix.
/// </summary>
internal sealed unsafe class MatrixOperation(string name, byte[] matrix, int sources, int outputs) : Operation
{
    public override string Name => name;
    public override int Sources => sources;
    public override int Outputs => outputs;

    public override IEnumerable<string> Contenders =>
        [.. Contender.GfTiers, .. IsaL.IsAvailable ? [Contender.IsaL] : Array.Empty<string>()];

    public override IKernelRun Create(string contender) =>
        contender == Contender.IsaL
            ? new IsaLRun(matrix, sources, outputs)
            : new OurRun(GfKernel.For(Enum.Parse<GfTier>(contender)), matrix, sources, outputs);

    private sealed class OurRun(GfKernel kernel, byte[] matrix, int k, int rows) : IKernelRun
    {
        public void Run(nint* sources, nint* outputs, nuint length) =>
            kernel.Encode(matrix, new ReadOnlySpan<nint>(sources, k), new ReadOnlySpan<nint>(outputs, rows), length);
    }

    private sealed class IsaLRun(byte[] matrix, int k, int rows) : IKernelRun
    {
        private readonly byte[] _tables = IsaL.InitTables(k, rows, matrix);

        public void Run(nint* sources, nint* outputs, nuint length) =>
            IsaL.EncodeData(length, k, rows, _tables, (byte**)sources, (byte**)outputs);
    }
}
