using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>dst (^)= src_0 ^ … ^ src_(k-1): our XorMany and XorManyInto against ISA-L's xor_gen (which overwrites).</summary>
internal sealed unsafe class XorOperation(int sources) : Operation
{
    public override string Name => $"XOR of {sources}";
    public override int Sources => sources;
    public override int Outputs => 1;

    public override IEnumerable<string> Contenders =>
        [.. Contender.BothForms(Contender.XorTiers), .. Contender.IsaLIf(sources >= IsaL.MinXorSources)];

    public override IKernelRun Create(string contender)
    {
        if (contender == Contender.IsaL) return new IsaLRun(sources);
        XorKernel kernel = XorKernel.For(Contender.ParseTier<XorTier>(contender, out bool into));
        return into ? new OurIntoRun(kernel, sources) : new OurRun(kernel, sources);
    }

    private sealed class OurRun(XorKernel kernel, int k) : IKernelRun
    {
        public bool Overwrites => false;

        public void Run(nint* sources, nint* outputs, nuint length) =>
            kernel.XorMany((byte*)outputs[0], new ReadOnlySpan<nint>(sources, k), length);
    }

    private sealed class OurIntoRun(XorKernel kernel, int k) : IKernelRun
    {
        public bool Overwrites => true;

        public void Run(nint* sources, nint* outputs, nuint length) =>
            kernel.XorManyInto((byte*)outputs[0], new ReadOnlySpan<nint>(sources, k), length);
    }

    /// <summary>xor_gen wants sources and destination in one pointer array, the destination last.</summary>
    private sealed class IsaLRun(int k) : IKernelRun
    {
        private readonly nint[] _array = new nint[k + 1];

        public bool Overwrites => true;

        public void Run(nint* sources, nint* outputs, nuint length)
        {
            new ReadOnlySpan<nint>(sources, k).CopyTo(_array);
            _array[k] = outputs[0];
            fixed (nint* array = _array) IsaL.XorGen(k + 1, length, (void**)array);
        }
    }
}
