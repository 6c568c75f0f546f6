namespace BitFusion.Core.Kernels;

/// <summary>
/// How a GF(2^8) multiply-and-XOR kernel multiplies: log/exp lookups (Scalar), split-nibble shuffle tables,
/// or GFNI's GF2P8AFFINEQB with an 8×8 bit matrix per constant (GF2P8MULB is wired to 0x11B, not our 0x11D).
/// </summary>
public enum GfTier
{
    Scalar,
    Shuffle128,
    Shuffle256,
    Shuffle512,
    Gfni128,
    Gfni256,
    Gfni512,
}
