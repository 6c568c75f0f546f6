namespace BitFusion.Core.Kernels;

/// <summary>
/// A multiplier constant expanded for the vector unit, held in registers across a kernel's loop: the GFNI
/// matrix in <see cref="A"/>, or the low- and high-nibble product tables in <see cref="A"/> and <see cref="B"/>.
/// </summary>
internal readonly struct GfConstant<TVec>(TVec a, TVec b) where TVec : struct
{
    public readonly TVec A = a;
    public readonly TVec B = b;
}
