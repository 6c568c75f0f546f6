namespace BitFusion.Core.Kernels;

/// <summary>
/// How a vector kernel multiplies bytes by a constant in GF(2^8), at any width. A source vector is split once
/// (<see cref="Split"/>) and then multiplied by one constant per output, so per-source work is not repeated.
/// </summary>
internal interface IGfFamily
{
    /// <summary>
    /// The most cells (sources × outputs) one specialised pass may multiply. Beyond it the expanded constants
    /// and temporaries exceed what the JIT tracks in one method and the whole loop spills to memory (measured:
    /// nibble tables collapse from ~27 GB/s at 9×4 to ~2 GB/s at 10×4; GFNI is still fine at 12×4).
    /// </summary>
    static abstract int PassCells { get; }

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
