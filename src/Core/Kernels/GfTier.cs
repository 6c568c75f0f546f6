namespace BitFusion.Core.Kernels;

/// <summary>
/// How a GF(2^8) multiply-and-XOR kernel multiplies: log/exp lookups (Scalar), split-nibble shuffle tables,
/// or GFNI's GF2P8AFFINEQB with an 8×8 bit matrix per constant (GF2P8MULB is wired to 0x11B, not our 0x11D).
/// </summary>
public enum GfTier
{
    /// <summary>Log/exp table lookups, one byte at a time.</summary>
    Scalar,
    /// <summary>Split-nibble tables with 128-bit byte shuffles (SSSE3).</summary>
    Shuffle128,
    /// <summary>Split-nibble tables with 256-bit byte shuffles (AVX2).</summary>
    Shuffle256,
    /// <summary>Split-nibble tables with 512-bit byte shuffles (AVX-512BW).</summary>
    Shuffle512,
    /// <summary>GF2P8AFFINEQB on 128-bit vectors (GFNI).</summary>
    Gfni128,
    /// <summary>GF2P8AFFINEQB on 256-bit vectors (GFNI with AVX).</summary>
    Gfni256,
    /// <summary>GF2P8AFFINEQB on 512-bit vectors (GFNI with AVX-512).</summary>
    Gfni512,
}
