namespace BitFusion.Core.Kernels;

/// <summary>
/// The kernel tiers this process runs, for the lines a binary prints about itself. Under native AOT they are fixed
/// by the instruction set the binary was compiled for, not by the CPU (docs/benchmarks.md, "Native AOT"), so a
/// binary says which it got.
/// </summary>
public static class KernelTiers
{
    /// <summary>The tier <see cref="XorKernel.Best"/> runs.</summary>
    public static XorTier Xor => XorKernel.Best.Tier;

    /// <summary>The tier <see cref="GfKernel.Best"/> runs.</summary>
    public static GfTier Gf => GfKernel.Best.Tier;

    /// <summary>
    /// "jit" when the runtime compiles for this CPU as it runs, "aot" when the code was compiled ahead. Asked of the
    /// JIT itself: RuntimeFeature.IsDynamicCodeSupported is false under the JIT too in a project that publishes AOT.
    /// </summary>
    public static string CodeGeneration => System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "jit" : "aot";

    /// <summary>key=value fields for a ready line: <c>xor=Vector512 gf=Gfni512 code=aot</c>.</summary>
    public static string Fields => $"xor={Xor} gf={Gf} code={CodeGeneration}";
}
