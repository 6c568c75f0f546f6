using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>
/// What this CPU runs, and the one place that maps a tier to its implementation. A tier is supported when the
/// hardware has its instructions; <c>Best</c> also follows the runtime's preferred vector width (on CPUs where
/// 512-bit code lowers the clock, Vector512 is supported but not hardware-accelerated, so not chosen).
/// </summary>
internal static class KernelSupport
{
    internal static readonly ScalarXorKernel ScalarXor = new();
    private static readonly ScalarGfKernel ScalarGf = new();


    // Kernels are stateless; building one runs no vector code, so every tier exists on every CPU and only
    // For() guards which may run.
    private static readonly XorKernel Xor128 = new VectorXorKernel<Simd128, Vector128<byte>>(XorTier.Vector128);
    private static readonly XorKernel Xor256 = new VectorXorKernel<Simd256, Vector256<byte>>(XorTier.Vector256);
    private static readonly XorKernel Xor512 = new VectorXorKernel<Simd512, Vector512<byte>>(XorTier.Vector512);
    private static readonly GfKernel Shuffle128 = new VectorGfKernel<Simd128, Vector128<byte>, NibbleFamily>(GfTier.Shuffle128, Xor128);
    private static readonly GfKernel Shuffle256 = new VectorGfKernel<Simd256, Vector256<byte>, NibbleFamily>(GfTier.Shuffle256, Xor256);
    private static readonly GfKernel Shuffle512 = new VectorGfKernel<Simd512, Vector512<byte>, NibbleFamily>(GfTier.Shuffle512, Xor512);
    private static readonly GfKernel Gfni128 = new VectorGfKernel<Simd128, Vector128<byte>, GfniFamily>(GfTier.Gfni128, Xor128);
    private static readonly GfKernel Gfni256 = new VectorGfKernel<Simd256, Vector256<byte>, GfniFamily>(GfTier.Gfni256, Xor256);
    private static readonly GfKernel Gfni512 = new VectorGfKernel<Simd512, Vector512<byte>, GfniFamily>(GfTier.Gfni512, Xor512);

    public static bool IsSupported(XorTier tier) => tier switch
    {
        XorTier.Scalar => true,
        XorTier.Vector128 => Vector128.IsHardwareAccelerated,
        XorTier.Vector256 => Avx2.IsSupported,
        XorTier.Vector512 => Avx512F.IsSupported,
        _ => false,
    };

    public static bool IsSupported(GfTier tier) => tier switch
    {
        GfTier.Scalar => true,
        GfTier.Shuffle128 => Ssse3.IsSupported || AdvSimd.Arm64.IsSupported,
        GfTier.Shuffle256 => Avx2.IsSupported,
        GfTier.Shuffle512 => Avx512BW.IsSupported,
        GfTier.Gfni128 => Gfni.IsSupported,
        GfTier.Gfni256 => Gfni.V256.IsSupported && Avx2.IsSupported,
        GfTier.Gfni512 => Gfni.V512.IsSupported && Avx512BW.IsSupported,
        _ => false,
    };

    public static XorTier BestXorTier =>
        Vector512.IsHardwareAccelerated && IsSupported(XorTier.Vector512) ? XorTier.Vector512
        : Vector256.IsHardwareAccelerated && IsSupported(XorTier.Vector256) ? XorTier.Vector256
        : IsSupported(XorTier.Vector128) ? XorTier.Vector128
        : XorTier.Scalar;

    // One GFNI instruction beats two shuffles plus the nibble split at any width, so GFNI wins ties of width.
    public static GfTier BestGfTier =>
        Vector512.IsHardwareAccelerated && IsSupported(GfTier.Gfni512) ? GfTier.Gfni512
        : Vector512.IsHardwareAccelerated && IsSupported(GfTier.Shuffle512) ? GfTier.Shuffle512
        : Vector256.IsHardwareAccelerated && IsSupported(GfTier.Gfni256) ? GfTier.Gfni256
        : Vector256.IsHardwareAccelerated && IsSupported(GfTier.Shuffle256) ? GfTier.Shuffle256
        : IsSupported(GfTier.Gfni128) ? GfTier.Gfni128
        : IsSupported(GfTier.Shuffle128) ? GfTier.Shuffle128
        : GfTier.Scalar;

    public static XorKernel Create(XorTier tier) => tier switch
    {
        XorTier.Scalar => ScalarXor,
        XorTier.Vector128 => Xor128,
        XorTier.Vector256 => Xor256,
        XorTier.Vector512 => Xor512,
        _ => throw new PlatformNotSupportedException($"XOR tier {tier} is not available."),
    };

    public static GfKernel Create(GfTier tier) => tier switch
    {
        GfTier.Scalar => ScalarGf,
        GfTier.Shuffle128 => Shuffle128,
        GfTier.Shuffle256 => Shuffle256,
        GfTier.Shuffle512 => Shuffle512,
        GfTier.Gfni128 => Gfni128,
        GfTier.Gfni256 => Gfni256,
        GfTier.Gfni512 => Gfni512,
        _ => throw new PlatformNotSupportedException($"GF tier {tier} is not available."),
    };
}
