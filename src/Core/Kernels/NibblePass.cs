using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

using static System.Runtime.CompilerServices.Unsafe;

namespace BitFusion.Core.Kernels;

/// <summary>
/// One pass of outputs[r] (^)= Σ_s m[r, s] · sources[s] with split-nibble tables on a machine with 16 vector
/// registers (SSSE3 / AVX2), with R outputs (≤ 4) fixed at JIT time and any number of sources, for shapes too wide
/// for <see cref="GfPass{TOps, TVec, TFamily, TK, TR, TXorRow, TStore}"/>. That pass hoists every constant into a
/// register; a nibble constant is two tables, so past 32 cells the JIT ran out of registers and a shape was cut into
/// several passes. Here the tables are expanded once per call into a stack block, in the order the loop uses them,
/// and loaded from L1 where they are used (a shuffle cannot take its table from memory), and the sources are a loop
/// inside each trip, as in ISA-L: the loop holds only the accumulators of two columns, the nibbles of the source
/// being folded and one constant's two tables, which fill AVX2's 16 registers without a spill at 4 outputs.
/// Two columns per trip make each table load serve both. Zen 2 dispatches 4 vector macro-ops per cycle, loads
/// included, so per cell and 32-byte column the pass costs 2 shuffles, 2 XORs and 1 table load (the bound, not
/// the shuffle or load ports); the inner loop's pointer load, count and branch go to the integer side.
/// </summary>
internal static unsafe class NibblePass<TOps, TVec, TR, TXorRow, TStore>
    where TOps : struct, ISimd<TVec>
    where TVec : struct
    where TR : struct, ICount
    where TXorRow : struct, IFlag
    where TStore : struct, IStoreMode
{
    /// <summary>Sources one call takes: its tables live on the stack (at 32-byte vectors, 3 KiB per 12 sources × 4 outputs).</summary>
    public const int MaxSources = 24;

    // Rows that are multiplied (an all-ones row 0 is XORed) and table bytes per source: two vectors per such row.
    private static int Multiplied
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => SizeOf<TR>() - (typeof(TXorRow) == typeof(Yes) ? 1 : 0);
    }

    private static nint PerSource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (nint)(2 * (nuint)Multiplied * TOps.Width);
    }

    /// <summary>
    /// As <see cref="GfPass{TOps, TVec, TFamily, TK, TR, TXorRow, TStore}.Run"/>, with <paramref name="k"/> sources
    /// (≤ <see cref="MaxSources"/>).
    /// </summary>
    [SkipLocalsInit]
    public static void Run(int k, nint* outputs, nint* sources, byte* matrix, nuint stride, nuint start, nuint end, uint nonTemporal)
    {
        byte* block = stackalloc byte[MaxSources * 4 * 2 * 64 + 64];
        byte* tables = (byte*)(((nuint)block + TOps.Width - 1) & ~(TOps.Width - 1));
        Expand(k, matrix, stride, tables);
        nuint body = start + ((end - start) & ~(TOps.Width - 1));
        if (body != start) Columns(k, outputs, sources, tables, start, body, nonTemporal);
        if (body != end) Tail(k, outputs, sources, tables, body, end - body);
    }

    // Source s's tables at s·PerSource: for each multiplied row, the low-nibble table then the high-nibble one.
    private static void Expand(int k, byte* matrix, nuint stride, byte* tables)
    {
        int first = SizeOf<TR>() - Multiplied;
        for (int s = 0; s < k; s++)
            for (int r = first; r < SizeOf<TR>(); r++)
            {
                byte* at = tables + s * PerSource + (nint)(2 * (nuint)(r - first) * TOps.Width);
                GfConstant<TVec> c = NibbleFamily.Constant<TOps, TVec>(matrix[(nuint)r * stride + (nuint)s]);
                TOps.Store(at, c.A);
                TOps.Store(at + TOps.Width, c.B);
            }
    }

    /// <summary>
    /// Whole vectors [start, end). The outputs are moved to the range's end and the index counts up to 0, as in
    /// GfPass. The tables are read through a pointer the loop's stores might alias, so the JIT loads them at each
    /// use instead of hoisting them into (spilled) registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Columns(int k, nint* outputs, nint* sources, byte* t, nuint start, nuint end, uint nonTemporal)
    {
        nint* moved = stackalloc nint[MaxSources];
        for (int s = 0; s < k; s++) moved[s] = sources[s] + (nint)end;
        byte* o0 = (byte*)outputs[0] + end;
        byte* o1 = SizeOf<TR>() > 1 ? (byte*)outputs[1] + end : null;
        byte* o2 = SizeOf<TR>() > 2 ? (byte*)outputs[2] + end : null;
        byte* o3 = SizeOf<TR>() > 3 ? (byte*)outputs[3] + end : null;
        nint* last = moved + k;

        bool acc = typeof(TStore) == typeof(Accumulate);
        // One mask for the whole loop: made inside each split, the JIT copied its register once per source.
        TVec mask = TOps.Splat(0x0F);
        nint i = (nint)start - (nint)end;
        // Two columns per trip: each table load serves both, and a pointer load two vectors of its source.
        for (; i <= -2 * (nint)TOps.Width; i += 2 * (nint)TOps.Width)
        {
            nint j = i + (nint)TOps.Width;
            bool ahead = Streams && (i & 63) < 2 * (nint)TOps.Width;
            TVec a0 = acc ? TOps.Load(o0 + i) : default;
            TVec a1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + i) : default;
            TVec a2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + i) : default;
            TVec a3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + i) : default;
            TVec b0 = acc ? TOps.Load(o0 + j) : default;
            TVec b1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + j) : default;
            TVec b2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + j) : default;
            TVec b3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + j) : default;
            byte* p = (byte*)moved[0] + i;
            if (ahead) Ahead(p);
            Fold(ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, !acc, TOps.Load(p), TOps.Load(p + TOps.Width), t, mask);
            byte* ts = t;
            for (nint* s = moved + 1; s < last; s++)
            {
                ts += PerSource;
                p = (byte*)*s + i;
                if (ahead) Ahead(p);
                Fold(ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3, false, TOps.Load(p), TOps.Load(p + TOps.Width), ts, mask);
            }
            Put(o0 + i, a0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + i, a3, nonTemporal & 8);
            Put(o0 + j, b0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + j, b1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + j, b2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + j, b3, nonTemporal & 8);
        }
        for (; i < 0; i += (nint)TOps.Width)
        {
            // Streaming passes run on data too large for the caches: one prefetch per source per 64-byte line.
            bool ahead = Streams && (i & 63) < (nint)TOps.Width;
            TVec a0 = acc ? TOps.Load(o0 + i) : default;
            TVec a1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + i) : default;
            TVec a2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + i) : default;
            TVec a3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + i) : default;
            // Written-only outputs start from the first source's products instead of zero.
            byte* p = (byte*)moved[0] + i;
            if (ahead) Ahead(p);
            Fold(ref a0, ref a1, ref a2, ref a3, !acc, TOps.Load(p), t, mask);
            byte* ts = t;
            for (nint* s = moved + 1; s < last; s++)
            {
                ts += PerSource;
                p = (byte*)*s + i;
                if (ahead) Ahead(p);
                Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(p), ts, mask);
            }
            Put(o0 + i, a0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + i, a3, nonTemporal & 8);
        }
    }

    // One source into every accumulator; with first, its products replace the accumulators instead.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, bool first, TVec x, byte* t, TVec mask)
    {
        Split(x, mask, out TVec lo, out TVec hi);
        if (typeof(TXorRow) == typeof(Yes))
        {
            Add(ref a0, first, x);
            if (SizeOf<TR>() > 1) Add(ref a1, first, Product(lo, hi, t));
            if (SizeOf<TR>() > 2) Add(ref a2, first, Product(lo, hi, t + 2 * (nint)TOps.Width));
            if (SizeOf<TR>() > 3) Add(ref a3, first, Product(lo, hi, t + 4 * (nint)TOps.Width));
        }
        else
        {
            Add(ref a0, first, Product(lo, hi, t));
            if (SizeOf<TR>() > 1) Add(ref a1, first, Product(lo, hi, t + 2 * (nint)TOps.Width));
            if (SizeOf<TR>() > 2) Add(ref a2, first, Product(lo, hi, t + 4 * (nint)TOps.Width));
            if (SizeOf<TR>() > 3) Add(ref a3, first, Product(lo, hi, t + 6 * (nint)TOps.Width));
        }
    }

    // One source's two vectors into both columns' accumulators.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, ref TVec b0, ref TVec b1, ref TVec b2, ref TVec b3,
        bool first, TVec x, TVec y, byte* t, TVec mask)
    {
        Split(x, mask, out TVec xl, out TVec xh);
        Split(y, mask, out TVec yl, out TVec yh);
        int row = 0;
        if (typeof(TXorRow) == typeof(Yes))
        {
            Add(ref a0, first, x);
            Add(ref b0, first, y);
        }
        else Add2(ref a0, ref b0, first, xl, xh, yl, yh, t + 2 * row++ * (nint)TOps.Width);
        if (SizeOf<TR>() > 1) Add2(ref a1, ref b1, first, xl, xh, yl, yh, t + 2 * row++ * (nint)TOps.Width);
        if (SizeOf<TR>() > 2) Add2(ref a2, ref b2, first, xl, xh, yl, yh, t + 2 * row++ * (nint)TOps.Width);
        if (SizeOf<TR>() > 3) Add2(ref a3, ref b3, first, xl, xh, yl, yh, t + 2 * row * (nint)TOps.Width);
    }

    // Both columns' products by one constant, its two tables loaded once; each lookup XORed in on its own, so the
    // pair needs one temporary register, not two (2 × 4 accumulators, 4 nibbles and 2 tables fill AVX2's 16).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add2(ref TVec a, ref TVec b, bool first, TVec xl, TVec xh, TVec yl, TVec yh, byte* t)
    {
        TVec low = TOps.Load(t), high = TOps.Load(t + TOps.Width);
        a = first ? TOps.Xor(TOps.Lookup16(low, xl), TOps.Lookup16(high, xh)) : TOps.Xor(TOps.Xor(a, TOps.Lookup16(low, xl)), TOps.Lookup16(high, xh));
        b = first ? TOps.Xor(TOps.Lookup16(low, yl), TOps.Lookup16(high, yh)) : TOps.Xor(TOps.Xor(b, TOps.Lookup16(low, yl)), TOps.Lookup16(high, yh));
    }

    // NibbleFamily.Split with the loop's mask.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(TVec x, TVec mask, out TVec lo, out TVec hi)
    {
        lo = TOps.And(x, mask);
        hi = TOps.And(TOps.ShiftRight4(x), mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Product(TVec lo, TVec hi, byte* t) =>
        TOps.Xor(TOps.Lookup16(TOps.Load(t), lo), TOps.Lookup16(TOps.Load(t + TOps.Width), hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref TVec a, bool first, TVec p) => a = first ? p : TOps.Xor(a, p);

    private static bool Streams
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(TStore) == typeof(StreamAll) || typeof(TStore) == typeof(StreamSome);
    }

    // How far ahead a streaming pass asks for its sources (as GfPass; measured there: 2 KiB took 5+2 from 0.77–0.80
    // to 0.87–0.91 of the read limit from memory).
    private const int PrefetchAhead = 2048;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead(byte* p)
    {
        if (Sse.IsSupported) Sse.Prefetch0(p + PrefetchAhead);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(byte* p, TVec v, uint nonTemporal)
    {
        if (typeof(TStore) == typeof(StreamAll) || (typeof(TStore) == typeof(StreamSome) && nonTemporal != 0)) TOps.StoreNonTemporal(p, v);
        else TOps.Store(p, v);
    }

    // Fewer bytes than a vector: one vector over copies padded to full width, then what is real copied back.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static void Tail(int k, nint* outputs, nint* sources, byte* tables, nuint at, nuint count)
    {
        int streams = SizeOf<TR>() + k;
        byte* staging = stackalloc byte[streams * (int)TOps.Width];
        nint* staged = stackalloc nint[streams];
        TailStaging.Stage(staging, staged, TOps.Width, SizeOf<TR>(), k, outputs, sources, at, count);
        // The staging is not aligned for streaming, and a tail is too short to gain from it.
        if (typeof(TStore) == typeof(Accumulate)) Columns(k, staged, staged + SizeOf<TR>(), tables, 0, TOps.Width, 0);
        else NibblePass<TOps, TVec, TR, TXorRow, Overwrite>.Columns(k, staged, staged + SizeOf<TR>(), tables, 0, TOps.Width, 0);
        TailStaging.Unstage(staged, SizeOf<TR>(), outputs, at, count);
    }
}
