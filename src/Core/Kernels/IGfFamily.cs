namespace BitFusion.Core.Kernels;

/// <summary>
/// How a vector kernel multiplies bytes by a constant in GF(2^8), at any width. A source vector is split once
/// (<see cref="Split"/>) and then multiplied by one constant per output, so per-source work is not repeated.
/// </summary>
internal interface IGfFamily
{
    static abstract GfConstant<TVec> Constant<TOps, TVec>(byte c)
        where TOps : struct, ISimd<TVec>
        where TVec : struct;

    static abstract void Split<TOps, TVec>(TVec x, out TVec a, out TVec b)
        where TOps : struct, ISimd<TVec>
        where TVec : struct;

    static abstract TVec Multiply<TOps, TVec>(TVec a, TVec b, GfConstant<TVec> k)
        where TOps : struct, ISimd<TVec>
        where TVec : struct;
}
