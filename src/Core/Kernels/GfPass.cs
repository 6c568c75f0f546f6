using System.Runtime.CompilerServices;

using static System.Runtime.CompilerServices.Unsafe;

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
    // Straight to optimised code: the unoptimised tier calls every vector helper and runs ~100× slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint start, nuint end, uint nonTemporal)
    {
        byte* s0 = (byte*)sources[0];
        byte* s1 = SizeOf<TK>() > 1 ? (byte*)sources[1] : null;
        byte* s2 = SizeOf<TK>() > 2 ? (byte*)sources[2] : null;
        byte* s3 = SizeOf<TK>() > 3 ? (byte*)sources[3] : null;
        byte* s4 = SizeOf<TK>() > 4 ? (byte*)sources[4] : null;
        byte* s5 = SizeOf<TK>() > 5 ? (byte*)sources[5] : null;
        byte* s6 = SizeOf<TK>() > 6 ? (byte*)sources[6] : null;
        byte* s7 = SizeOf<TK>() > 7 ? (byte*)sources[7] : null;
        byte* o0 = (byte*)outputs[0];
        byte* o1 = SizeOf<TR>() > 1 ? (byte*)outputs[1] : null;
        byte* o2 = SizeOf<TR>() > 2 ? (byte*)outputs[2] : null;
        byte* o3 = SizeOf<TR>() > 3 ? (byte*)outputs[3] : null;
        byte* m0 = matrix, m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride;

        // Constants outside the K×R shape, and those of an all-ones row 0, are neither read nor used.
        GfConstant<TVec> k00 = typeof(TXorRow) == typeof(No) ? K(m0[0]) : default;
        GfConstant<TVec> k10 = SizeOf<TR>() > 1 ? K(m1[0]) : default;
        GfConstant<TVec> k20 = SizeOf<TR>() > 2 ? K(m2[0]) : default;
        GfConstant<TVec> k30 = SizeOf<TR>() > 3 ? K(m3[0]) : default;
        GfConstant<TVec> k01 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 1 ? K(m0[1]) : default;
        GfConstant<TVec> k11 = SizeOf<TR>() > 1 && SizeOf<TK>() > 1 ? K(m1[1]) : default;
        GfConstant<TVec> k21 = SizeOf<TR>() > 2 && SizeOf<TK>() > 1 ? K(m2[1]) : default;
        GfConstant<TVec> k31 = SizeOf<TR>() > 3 && SizeOf<TK>() > 1 ? K(m3[1]) : default;
        GfConstant<TVec> k02 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 2 ? K(m0[2]) : default;
        GfConstant<TVec> k12 = SizeOf<TR>() > 1 && SizeOf<TK>() > 2 ? K(m1[2]) : default;
        GfConstant<TVec> k22 = SizeOf<TR>() > 2 && SizeOf<TK>() > 2 ? K(m2[2]) : default;
        GfConstant<TVec> k32 = SizeOf<TR>() > 3 && SizeOf<TK>() > 2 ? K(m3[2]) : default;
        GfConstant<TVec> k03 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 3 ? K(m0[3]) : default;
        GfConstant<TVec> k13 = SizeOf<TR>() > 1 && SizeOf<TK>() > 3 ? K(m1[3]) : default;
        GfConstant<TVec> k23 = SizeOf<TR>() > 2 && SizeOf<TK>() > 3 ? K(m2[3]) : default;
        GfConstant<TVec> k33 = SizeOf<TR>() > 3 && SizeOf<TK>() > 3 ? K(m3[3]) : default;
        GfConstant<TVec> k04 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 4 ? K(m0[4]) : default;
        GfConstant<TVec> k14 = SizeOf<TR>() > 1 && SizeOf<TK>() > 4 ? K(m1[4]) : default;
        GfConstant<TVec> k24 = SizeOf<TR>() > 2 && SizeOf<TK>() > 4 ? K(m2[4]) : default;
        GfConstant<TVec> k34 = SizeOf<TR>() > 3 && SizeOf<TK>() > 4 ? K(m3[4]) : default;
        GfConstant<TVec> k05 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 5 ? K(m0[5]) : default;
        GfConstant<TVec> k15 = SizeOf<TR>() > 1 && SizeOf<TK>() > 5 ? K(m1[5]) : default;
        GfConstant<TVec> k25 = SizeOf<TR>() > 2 && SizeOf<TK>() > 5 ? K(m2[5]) : default;
        GfConstant<TVec> k35 = SizeOf<TR>() > 3 && SizeOf<TK>() > 5 ? K(m3[5]) : default;
        GfConstant<TVec> k06 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 6 ? K(m0[6]) : default;
        GfConstant<TVec> k16 = SizeOf<TR>() > 1 && SizeOf<TK>() > 6 ? K(m1[6]) : default;
        GfConstant<TVec> k26 = SizeOf<TR>() > 2 && SizeOf<TK>() > 6 ? K(m2[6]) : default;
        GfConstant<TVec> k36 = SizeOf<TR>() > 3 && SizeOf<TK>() > 6 ? K(m3[6]) : default;
        GfConstant<TVec> k07 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 7 ? K(m0[7]) : default;
        GfConstant<TVec> k17 = SizeOf<TR>() > 1 && SizeOf<TK>() > 7 ? K(m1[7]) : default;
        GfConstant<TVec> k27 = SizeOf<TR>() > 2 && SizeOf<TK>() > 7 ? K(m2[7]) : default;
        GfConstant<TVec> k37 = SizeOf<TR>() > 3 && SizeOf<TK>() > 7 ? K(m3[7]) : default;

        nuint i = start;
        for (; i + TOps.Width <= end; i += TOps.Width)
        {
            TVec a0 = TOps.Load(o0 + i);
            TVec a1 = SizeOf<TR>() > 1 ? TOps.Load(o1 + i) : default;
            TVec a2 = SizeOf<TR>() > 2 ? TOps.Load(o2 + i) : default;
            TVec a3 = SizeOf<TR>() > 3 ? TOps.Load(o3 + i) : default;
            Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s0 + i), k00, k10, k20, k30);
            if (SizeOf<TK>() > 1) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s1 + i), k01, k11, k21, k31);
            if (SizeOf<TK>() > 2) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s2 + i), k02, k12, k22, k32);
            if (SizeOf<TK>() > 3) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s3 + i), k03, k13, k23, k33);
            if (SizeOf<TK>() > 4) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s4 + i), k04, k14, k24, k34);
            if (SizeOf<TK>() > 5) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s5 + i), k05, k15, k25, k35);
            if (SizeOf<TK>() > 6) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s6 + i), k06, k16, k26, k36);
            if (SizeOf<TK>() > 7) Fold(ref a0, ref a1, ref a2, ref a3, TOps.Load(s7 + i), k07, k17, k27, k37);
            Put(o0 + i, a0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + i, a3, nonTemporal & 8);
        }
        if (i < end) Tail(outputs, sources, matrix, stride, i, end - i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GfConstant<TVec> K(byte c) => TFamily.Constant<TOps, TVec>(c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, TVec x,
        GfConstant<TVec> k0, GfConstant<TVec> k1, GfConstant<TVec> k2, GfConstant<TVec> k3)
    {
        TFamily.Split<TOps, TVec>(x, out TVec lo, out TVec hi);
        a0 = TOps.Xor(a0, typeof(TXorRow) == typeof(Yes) ? x : TFamily.Multiply<TOps, TVec>(lo, hi, k0));
        if (SizeOf<TR>() > 1) a1 = TOps.Xor(a1, TFamily.Multiply<TOps, TVec>(lo, hi, k1));
        if (SizeOf<TR>() > 2) a2 = TOps.Xor(a2, TFamily.Multiply<TOps, TVec>(lo, hi, k2));
        if (SizeOf<TR>() > 3) a3 = TOps.Xor(a3, TFamily.Multiply<TOps, TVec>(lo, hi, k3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(byte* p, TVec v, uint nonTemporal)
    {
        if (nonTemporal != 0) TOps.StoreNonTemporal(p, v);
        else TOps.Store(p, v);
    }

    // Fewer bytes than a vector: run one vector over copies padded to full width, then copy back what is real.
    // The padding's contents never reach the caller, so it is left uninitialised.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Tail(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint at, nuint count)
    {
        int streams = SizeOf<TR>() + SizeOf<TK>();
        byte* staging = stackalloc byte[streams * (int)TOps.Width];
        nint* staged = stackalloc nint[streams];
        for (int j = 0; j < streams; j++)
        {
            staged[j] = (nint)(staging + (nuint)j * TOps.Width);
            byte* real = j < SizeOf<TR>() ? (byte*)outputs[j] : (byte*)sources[j - SizeOf<TR>()];
            Unsafe.CopyBlockUnaligned((byte*)staged[j], real + at, (uint)count);
        }
        Run(staged, staged + SizeOf<TR>(), matrix, stride, 0, TOps.Width, 0);
        for (int r = 0; r < SizeOf<TR>(); r++)
            Unsafe.CopyBlockUnaligned((byte*)outputs[r] + at, (byte*)staged[r], (uint)count);
    }
}
