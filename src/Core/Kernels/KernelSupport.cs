using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>What this CPU runs, and the one place that maps a tier to its implementation.</summary>
internal static class KernelSupport
{
    internal static readonly ScalarXorKernel ScalarXor = new();

    public static bool IsSupported(XorTier tier) => tier switch
    {
        XorTier.Scalar => true,
        _ => false,
    };

    public static bool IsSupported(GfTier tier) => tier switch
    {
        GfTier.Scalar => true,
        _ => false,
    };

    public static XorTier BestXorTier => Enum.GetValues<XorTier>().Where(IsSupported).Max();

    public static GfTier BestGfTier => Enum.GetValues<GfTier>().Where(IsSupported).Max();

    public static XorKernel Create(XorTier tier) => tier switch
    {
        XorTier.Scalar => ScalarXor,
        _ => throw new PlatformNotSupportedException($"XOR tier {tier} is not available."),
    };

    public static GfKernel Create(GfTier tier) => tier switch
    {
        GfTier.Scalar => new ScalarGfKernel(),
        _ => throw new PlatformNotSupportedException($"GF tier {tier} is not available."),
    };
}
