namespace BitFusion.Core.Kernels;

/// <summary>
/// The byte-vector operations the kernels need, at one width. Kernels are generic over a struct implementing
/// this, so the JIT emits one specialised loop per width with every call inlined: one loop body, three widths.
/// </summary>
internal unsafe interface ISimd<TVec> where TVec : struct
{
    /// <summary>Bytes per vector; a JIT-time constant, so branches on it fold away.</summary>
    static abstract nuint Width { get; }

    static abstract TVec Load(byte* p);

    static abstract void Store(byte* p, TVec v);

    /// <summary>A store that bypasses the caches; <paramref name="p"/> must be aligned to <see cref="Width"/>.</summary>
    static abstract void StoreNonTemporal(byte* p, TVec v);

    static abstract TVec Xor(TVec a, TVec b);

    /// <summary>
    /// a ^ b ^ c. With AVX-512 one VPTERNLOG: folding two products per instruction instead of one takes about a
    /// third of the vector ALU work out of an encode, whose XORs share ports with GF2P8AFFINEQB (in cache, where
    /// cache traffic bounds the encode, that alone measured within noise; it leaves room for unrolling).
    /// </summary>
    static abstract TVec Xor3(TVec a, TVec b, TVec c);

    static abstract TVec And(TVec a, TVec b);

    static abstract TVec Splat(byte value);

    /// <summary>Each byte shifted right by 4 within 16-bit lanes (the low bits of the next byte leak in; mask after).</summary>
    static abstract TVec ShiftRight4(TVec v);

    /// <summary>The 16 bytes at <paramref name="table"/> repeated in every 128-bit lane.</summary>
    static abstract TVec BroadcastTable(byte* table);

    /// <summary>The 8 bytes at <paramref name="p"/> repeated in every 64-bit lane.</summary>
    static abstract TVec BroadcastQword(byte* p);

    /// <summary>table[index] per byte within each 128-bit lane; indices must be 0..15.</summary>
    static abstract TVec Lookup16(TVec table, TVec index);

    /// <summary>GF2P8AFFINEQB: each byte of <paramref name="x"/> times the 8×8 bit matrix in its qword of <paramref name="matrix"/>.</summary>
    static abstract TVec Affine(TVec x, TVec matrix);
}
