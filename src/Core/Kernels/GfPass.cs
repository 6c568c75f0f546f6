using System.Runtime.CompilerServices;

namespace BitFusion.Core.Kernels;

/// <summary>
/// One pass of outputs[r] ^= Σ_s m[r, s] · sources[s] at one width and multiplication family, with K sources
/// (≤ 8) and R outputs (≤ 4) fixed at JIT time. Each vector of every source is loaded once and folded into all
/// R accumulators, and the K·R expanded constants are hoisted out of the loop (into registers, or stack slots
/// once they outnumber the registers). With <typeparamref name="TXorRow"/>, row 0 is all ones: a plain XOR.
/// </summary>
internal static unsafe class GfPass<TOps, TVec, TFamily, TK, TR, TXorRow>
    where TOps : struct, ISimd<TVec>
    where TVec : struct
    where TFamily : struct, IGfFamily
    where TK : struct, ICount
    where TR : struct, ICount
    where TXorRow : struct, IFlag
{
    /// <summary>
    /// Bytes [start, end) of every source and output; <paramref name="matrix"/> holds m[r, s] at
    /// r·<paramref name="stride"/> + s. Output r is streamed when bit r of <paramref name="nonTemporal"/> is set,
    /// which needs it aligned to the width at <paramref name="start"/>; a partial tail never streams.
    /// </summary>
    public static void Run(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint start, nuint end, uint nonTemporal)
    {
        byte* s0 = (byte*)sources[0];
        byte* s1 = TK.Value > 1 ? (byte*)sources[1] : null;
        byte* s2 = TK.Value > 2 ? (byte*)sources[2] : null;
        byte* s3 = TK.Value > 3 ? (byte*)sources[3] : null;
        byte* s4 = TK.Value > 4 ? (byte*)sources[4] : null;
        byte* s5 = TK.Value > 5 ? (byte*)sources[5] : null;
        byte* s6 = TK.Value > 6 ? (byte*)sources[6] : null;
        byte* s7 = TK.Value > 7 ? (byte*)sources[7] : null;
        byte* o0 = (byte*)outputs[0];
        byte* o1 = TR.Value > 1 ? (byte*)outputs[1] : null;
        byte* o2 = TR.Value > 2 ? (byte*)outputs[2] : null;
        byte* o3 = TR.Value > 3 ? (byte*)outputs[3] : null;
        byte* m0 = matrix, m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride;

        GfConstant<TVec> k00 = K(0, 0, m0), k10 = K(1, 0, m1), k20 = K(2, 0, m2), k30 = K(3, 0, m3);
        GfConstant<TVec> k01 = K(0, 1, m0), k11 = K(1, 1, m1), k21 = K(2, 1, m2), k31 = K(3, 1, m3);
        GfConstant<TVec> k02 = K(0, 2, m0), k12 = K(1, 2, m1), k22 = K(2, 2, m2), k32 = K(3, 2, m3);
        GfConstant<TVec> k03 = K(0, 3, m0), k13 = K(1, 3, m1), k23 = K(2, 3, m2), k33 = K(3, 3, m3);
        GfConstant<TVec> k04 = K(0, 4, m0), k14 = K(1, 4, m1), k24 = K(2, 4, m2), k34 = K(3, 4, m3);
        GfConstant<TVec> k05 = K(0, 5, m0), k15 = K(1, 5, m1), k25 = K(2, 5, m2), k35 = K(3, 5, m3);
        GfConstant<TVec> k06 = K(0, 6, m0), k16 = K(1, 6, m1), k26 = K(2, 6, m2), k36 = K(3, 6, m3);
        GfConstant<TVec> k07 = K(0, 7, m0), k17 = K(1, 7, m1), k27 = K(2, 7, m2), k37 = K(3, 7, m3);

        nuint i = start;
        for (; i + TOps.Width <= end; i += TOps.Width)
        {
            TVec a0 = TOps.Load(o0 + i);
            TVec a1 = TR.Value > 1 ? TOps.Load(o1 + i) : default;
            TVec a2 = TR.Value > 2 ? TOps.Load(o2 + i) : default;
            TVec a3 = TR.Value > 3 ? TOps.Load(o3 + i) : default;
            Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s0 + i), k00, k10, k20, k30);
            if (TK.Value > 1) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s1 + i), k01, k11, k21, k31);
            if (TK.Value > 2) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s2 + i), k02, k12, k22, k32);
            if (TK.Value > 3) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s3 + i), k03, k13, k23, k33);
            if (TK.Value > 4) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s4 + i), k04, k14, k24, k34);
            if (TK.Value > 5) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s5 + i), k05, k15, k25, k35);
            if (TK.Value > 6) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s6 + i), k06, k16, k26, k36);
            if (TK.Value > 7) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s7 + i), k07, k17, k27, k37);
            Put(o0 + i, a0, nonTemporal & 1);
            if (TR.Value > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (TR.Value > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (TR.Value > 3) Put(o3 + i, a3, nonTemporal & 8);
        }
        if (i < end) Tail(outputs, sources, matrix, stride, i, end - i);
    }

    // Cells outside the K×R shape, and the all-ones row, are never read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GfConstant<TVec> K(int r, int s, byte* row) =>
        r < TR.Value && s < TK.Value && !(TXorRow.Value && r == 0) ? TFamily.Constant<TOps, TVec>(row[s]) : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, TVec x,
        GfConstant<TVec> k0, GfConstant<TVec> k1, GfConstant<TVec> k2, GfConstant<TVec> k3)
    {
        TFamily.Split<TOps, TVec>(x, out TVec lo, out TVec hi);
        a0 = TOps.Xor(a0, TXorRow.Value ? x : TFamily.Multiply<TOps, TVec>(lo, hi, k0));
        if (TR.Value > 1) a1 = TOps.Xor(a1, TFamily.Multiply<TOps, TVec>(lo, hi, k1));
        if (TR.Value > 2) a2 = TOps.Xor(a2, TFamily.Multiply<TOps, TVec>(lo, hi, k2));
        if (TR.Value > 3) a3 = TOps.Xor(a3, TFamily.Multiply<TOps, TVec>(lo, hi, k3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(byte* p, TVec v, uint nonTemporal)
    {
        if (nonTemporal != 0) TOps.StoreNonTemporal(p, v);
        else TOps.Store(p, v);
    }

    // Fewer bytes than a vector: run one vector over copies padded to full width, then copy back what is real.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint at, nuint count)
    {
        int streams = TR.Value + TK.Value;
        byte* staging = stackalloc byte[streams * (int)TOps.Width];
        nint* staged = stackalloc nint[streams];
        for (int j = 0; j < streams; j++)
        {
            staged[j] = (nint)(staging + (nuint)j * TOps.Width);
            byte* real = j < TR.Value ? (byte*)outputs[j] : (byte*)sources[j - TR.Value];
            Unsafe.CopyBlockUnaligned((byte*)staged[j], real + at, (uint)count);
        }
        Run(staged, staged + TR.Value, matrix, stride, 0, TOps.Width, 0);
        for (int r = 0; r < TR.Value; r++)
            Unsafe.CopyBlockUnaligned((byte*)outputs[r] + at, (byte*)staged[r], (uint)count);
    }
}
