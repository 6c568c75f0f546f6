using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>
/// outputs (^)= matrix · sources with a rows × k matrix: encode (the code's f × n matrix) and decode (the
/// recovery matrix, an encode with one output per lost primary). Ours are GfKernel.Encode and EncodeInto;
/// ISA-L's is ec_encode_data (which overwrites) on tables built once from the same matrix.
/// </summary>
internal sealed unsafe class MatrixOperation(string name, byte[] matrix, int sources, int outputs) : Operation
{
    public override string Name => name;
    public override int Sources => sources;
    public override int Outputs => outputs;

    public override IEnumerable<string> Contenders => [.. Contender.BothForms(Contender.GfTiers), .. Contender.IsaLIf(true)];

    public override IKernelRun Create(string contender)
    {
        if (contender == Contender.IsaL) return new IsaLRun(matrix, sources, outputs);
        GfKernel kernel = GfKernel.For(Contender.ParseTier<GfTier>(contender, out bool into));
        return new OurRun(kernel, matrix, sources, outputs, into);
    }

    private sealed class OurRun(GfKernel kernel, byte[] matrix, int k, int rows, bool into) : IKernelRun
    {
        public bool Overwrites => into;

        public void Run(nint* sources, nint* outputs, nuint length)
        {
            var src = new ReadOnlySpan<nint>(sources, k);
            var dst = new ReadOnlySpan<nint>(outputs, rows);
            if (into) kernel.EncodeInto(matrix, src, dst, length);
            else kernel.Encode(matrix, src, dst, length);
        }
    }

    private sealed class IsaLRun(byte[] matrix, int k, int rows) : IKernelRun
    {
        private readonly byte[] _tables = IsaL.InitTables(k, rows, matrix);

        public bool Overwrites => true;

        public void Run(nint* sources, nint* outputs, nuint length) =>
            IsaL.EncodeData(length, k, rows, _tables, (byte**)sources, (byte**)outputs);
    }
}
