using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>dst ^= c · src over GF(2^8): our MulXor against ISA-L's gf_vect_mad, which has the same meaning.</summary>
internal sealed unsafe class MulXorOperation(byte constant) : Operation
{
    public override string Name => $"MulXor by 0x{constant:X2}";
    public override int Sources => 1;
    public override int Outputs => 1;

    public override IEnumerable<string> Contenders => [.. Contender.GfTiers, .. Contender.IsaLIf(true)];

    public override IKernelRun Create(string contender) =>
        contender == Contender.IsaL ? new IsaLRun(constant) : new OurRun(GfKernel.For(Enum.Parse<GfTier>(contender)), constant);

    public override bool Accepts(string contender, nuint length) => contender != Contender.IsaL || length >= IsaL.MinMadLength;

    private sealed class OurRun(GfKernel kernel, byte c) : IKernelRun
    {
        public bool Overwrites => false;

        public void Run(nint* sources, nint* outputs, nuint length) => kernel.MulXor((byte*)outputs[0], (byte*)sources[0], length, c);
    }

    private sealed class IsaLRun(byte c) : IKernelRun
    {
        private readonly byte[] _table = IsaL.InitTables(1, 1, [c]);

        public bool Overwrites => false;

        public void Run(nint* sources, nint* outputs, nuint length) => IsaL.VectMad(length, _table, (byte*)sources[0], (byte*)outputs[0]);
    }
}
