namespace BitFusion.Core.Kernels;

/// <summary>The vector width an XOR kernel runs at. Chosen at run time; tests force each one.</summary>
public enum XorTier
{
    /// <summary>64-bit words, no vectors.</summary>
    Scalar,
    /// <summary>128-bit vectors (SSE2 or AdvSimd).</summary>
    Vector128,
    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}
