using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

using static System.Runtime.CompilerServices.Unsafe;

namespace BitFusion.Core.Kernels;

/// <summary>
/// One pass of outputs[r] (^)= Σ_s m[r, s] · sources[s] at one width and multiplication family, with K sources
/// (≤ 12) and R outputs (≤ 4) fixed at JIT time. Each vector of every source is loaded once and folded into all
/// R accumulators, and the K·R expanded constants are hoisted out of the loop (into registers, or stack slots
/// once they outnumber the registers). Sources are taken in pairs so each accumulator takes both products in one
/// three-way XOR. With <typeparamref name="TXorRow"/>, row 0 is all ones: a plain XOR. <typeparamref name="TStore"/>
/// says whether the outputs are accumulated into or only written, and which stream.
/// </summary>
internal static unsafe class GfPass<TOps, TVec, TFamily, TK, TR, TXorRow, TStore>
    where TOps : struct, ISimd<TVec>
    where TVec : struct
    where TFamily : struct, IGfFamily
    where TK : struct, ICount
    where TR : struct, ICount
    where TXorRow : struct, IFlag
    where TStore : struct, IStoreMode
{
    /// <summary>
    /// Bytes [start, end) of every source and output; <paramref name="matrix"/> holds m[r, s] at
    /// r·<paramref name="stride"/> + s. Under <see cref="StreamSome"/> output r is streamed when bit r of
    /// <paramref name="nonTemporal"/> is set; a streamed output must be aligned to the width at <paramref name="start"/>,
    /// and a partial tail never streams.
    /// </summary>
    public static void Run(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint start, nuint end, uint nonTemporal)
    {
        nuint body = start + ((end - start) & ~(TOps.Width - 1));
        if (body != start) Columns(outputs, sources, matrix, stride, start, body, nonTemporal);
        if (body != end) Tail(outputs, sources, matrix, stride, body, end - body);
    }

    /// <summary>
    /// Whole vectors [start, end): end − start is a multiple of the width. Kept apart from the tail's call, and the
    /// buffer pointers read after the constants (whose first read may call the class constructor's check): then
    /// neither the arguments nor the pointers are live across a call, so the pointers can stay in registers through
    /// the loop instead of being spilled and reloaded from the stack on every trip (native AOT for x86-64-v4
    /// reloaded all 7 of a 5+2 pass's, and all 14 of a 10+4's, from the stack). Marked for full optimisation at
    /// once: the unoptimised tier calls every vector helper and runs two orders of magnitude slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Columns(nint* outputs, nint* sources, byte* matrix, nuint stride, nuint start, nuint end, uint nonTemporal)
    {
        byte* m0 = matrix, m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride;

        // Constants outside the K×R shape, and those of an all-ones row 0, are neither read nor used.
        GfConstant<TVec> k0_0 = typeof(TXorRow) == typeof(No) ? K(m0[0]) : default;
        GfConstant<TVec> k1_0 = SizeOf<TR>() > 1 ? K(m1[0]) : default;
        GfConstant<TVec> k2_0 = SizeOf<TR>() > 2 ? K(m2[0]) : default;
        GfConstant<TVec> k3_0 = SizeOf<TR>() > 3 ? K(m3[0]) : default;
        GfConstant<TVec> k0_1 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 1 ? K(m0[1]) : default;
        GfConstant<TVec> k1_1 = SizeOf<TR>() > 1 && SizeOf<TK>() > 1 ? K(m1[1]) : default;
        GfConstant<TVec> k2_1 = SizeOf<TR>() > 2 && SizeOf<TK>() > 1 ? K(m2[1]) : default;
        GfConstant<TVec> k3_1 = SizeOf<TR>() > 3 && SizeOf<TK>() > 1 ? K(m3[1]) : default;
        GfConstant<TVec> k0_2 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 2 ? K(m0[2]) : default;
        GfConstant<TVec> k1_2 = SizeOf<TR>() > 1 && SizeOf<TK>() > 2 ? K(m1[2]) : default;
        GfConstant<TVec> k2_2 = SizeOf<TR>() > 2 && SizeOf<TK>() > 2 ? K(m2[2]) : default;
        GfConstant<TVec> k3_2 = SizeOf<TR>() > 3 && SizeOf<TK>() > 2 ? K(m3[2]) : default;
        GfConstant<TVec> k0_3 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 3 ? K(m0[3]) : default;
        GfConstant<TVec> k1_3 = SizeOf<TR>() > 1 && SizeOf<TK>() > 3 ? K(m1[3]) : default;
        GfConstant<TVec> k2_3 = SizeOf<TR>() > 2 && SizeOf<TK>() > 3 ? K(m2[3]) : default;
        GfConstant<TVec> k3_3 = SizeOf<TR>() > 3 && SizeOf<TK>() > 3 ? K(m3[3]) : default;
        GfConstant<TVec> k0_4 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 4 ? K(m0[4]) : default;
        GfConstant<TVec> k1_4 = SizeOf<TR>() > 1 && SizeOf<TK>() > 4 ? K(m1[4]) : default;
        GfConstant<TVec> k2_4 = SizeOf<TR>() > 2 && SizeOf<TK>() > 4 ? K(m2[4]) : default;
        GfConstant<TVec> k3_4 = SizeOf<TR>() > 3 && SizeOf<TK>() > 4 ? K(m3[4]) : default;
        GfConstant<TVec> k0_5 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 5 ? K(m0[5]) : default;
        GfConstant<TVec> k1_5 = SizeOf<TR>() > 1 && SizeOf<TK>() > 5 ? K(m1[5]) : default;
        GfConstant<TVec> k2_5 = SizeOf<TR>() > 2 && SizeOf<TK>() > 5 ? K(m2[5]) : default;
        GfConstant<TVec> k3_5 = SizeOf<TR>() > 3 && SizeOf<TK>() > 5 ? K(m3[5]) : default;
        GfConstant<TVec> k0_6 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 6 ? K(m0[6]) : default;
        GfConstant<TVec> k1_6 = SizeOf<TR>() > 1 && SizeOf<TK>() > 6 ? K(m1[6]) : default;
        GfConstant<TVec> k2_6 = SizeOf<TR>() > 2 && SizeOf<TK>() > 6 ? K(m2[6]) : default;
        GfConstant<TVec> k3_6 = SizeOf<TR>() > 3 && SizeOf<TK>() > 6 ? K(m3[6]) : default;
        GfConstant<TVec> k0_7 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 7 ? K(m0[7]) : default;
        GfConstant<TVec> k1_7 = SizeOf<TR>() > 1 && SizeOf<TK>() > 7 ? K(m1[7]) : default;
        GfConstant<TVec> k2_7 = SizeOf<TR>() > 2 && SizeOf<TK>() > 7 ? K(m2[7]) : default;
        GfConstant<TVec> k3_7 = SizeOf<TR>() > 3 && SizeOf<TK>() > 7 ? K(m3[7]) : default;
        GfConstant<TVec> k0_8 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 8 ? K(m0[8]) : default;
        GfConstant<TVec> k1_8 = SizeOf<TR>() > 1 && SizeOf<TK>() > 8 ? K(m1[8]) : default;
        GfConstant<TVec> k2_8 = SizeOf<TR>() > 2 && SizeOf<TK>() > 8 ? K(m2[8]) : default;
        GfConstant<TVec> k3_8 = SizeOf<TR>() > 3 && SizeOf<TK>() > 8 ? K(m3[8]) : default;
        GfConstant<TVec> k0_9 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 9 ? K(m0[9]) : default;
        GfConstant<TVec> k1_9 = SizeOf<TR>() > 1 && SizeOf<TK>() > 9 ? K(m1[9]) : default;
        GfConstant<TVec> k2_9 = SizeOf<TR>() > 2 && SizeOf<TK>() > 9 ? K(m2[9]) : default;
        GfConstant<TVec> k3_9 = SizeOf<TR>() > 3 && SizeOf<TK>() > 9 ? K(m3[9]) : default;
        GfConstant<TVec> k0_10 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 10 ? K(m0[10]) : default;
        GfConstant<TVec> k1_10 = SizeOf<TR>() > 1 && SizeOf<TK>() > 10 ? K(m1[10]) : default;
        GfConstant<TVec> k2_10 = SizeOf<TR>() > 2 && SizeOf<TK>() > 10 ? K(m2[10]) : default;
        GfConstant<TVec> k3_10 = SizeOf<TR>() > 3 && SizeOf<TK>() > 10 ? K(m3[10]) : default;
        GfConstant<TVec> k0_11 = typeof(TXorRow) == typeof(No) && SizeOf<TK>() > 11 ? K(m0[11]) : default;
        GfConstant<TVec> k1_11 = SizeOf<TR>() > 1 && SizeOf<TK>() > 11 ? K(m1[11]) : default;
        GfConstant<TVec> k2_11 = SizeOf<TR>() > 2 && SizeOf<TK>() > 11 ? K(m2[11]) : default;
        GfConstant<TVec> k3_11 = SizeOf<TR>() > 3 && SizeOf<TK>() > 11 ? K(m3[11]) : default;

        byte* s0 = (byte*)sources[0] + end;
        byte* s1 = SizeOf<TK>() > 1 ? (byte*)sources[1] + end : null;
        byte* s2 = SizeOf<TK>() > 2 ? (byte*)sources[2] + end : null;
        byte* s3 = SizeOf<TK>() > 3 ? (byte*)sources[3] + end : null;
        byte* s4 = SizeOf<TK>() > 4 ? (byte*)sources[4] + end : null;
        byte* s5 = SizeOf<TK>() > 5 ? (byte*)sources[5] + end : null;
        byte* s6 = SizeOf<TK>() > 6 ? (byte*)sources[6] + end : null;
        byte* s7 = SizeOf<TK>() > 7 ? (byte*)sources[7] + end : null;
        byte* s8 = SizeOf<TK>() > 8 ? (byte*)sources[8] + end : null;
        byte* s9 = SizeOf<TK>() > 9 ? (byte*)sources[9] + end : null;
        byte* s10 = SizeOf<TK>() > 10 ? (byte*)sources[10] + end : null;
        byte* s11 = SizeOf<TK>() > 11 ? (byte*)sources[11] + end : null;
        byte* o0 = (byte*)outputs[0] + end;
        byte* o1 = SizeOf<TR>() > 1 ? (byte*)outputs[1] + end : null;
        byte* o2 = SizeOf<TR>() > 2 ? (byte*)outputs[2] + end : null;
        byte* o3 = SizeOf<TR>() > 3 ? (byte*)outputs[3] + end : null;

        bool acc = typeof(TStore) == typeof(Accumulate);
        // The index runs from start − end up to 0 over pointers moved to end, so the loop tests it against a
        // constant and holds no register for end: one more pointer stays in a register for a 10+4 pass.
        nint i = (nint)start - (nint)end;
        // Small GFNI shapes take two columns per trip: twice the independent work between loop branches (in cache,
        // 5+2 and 6+3 went from 0.75 to 0.85 of the read limit, ISA-L 2.32's GFNI kernels 0.8 and 0.74). Larger
        // shapes do not: their constants already fill the registers, and a 10+4 pass unrolled spilled and ran at
        // 0.4× the plain loop. Nor does the split-nibble family, whose constants take two registers each: on
        // AVX2's 16, a 6+3 Shuffle256 pass unrolled spilled and took 1.5× the CPU time of the plain loop.
        // Tested in place, where the JIT folds it as it imports the loop: through a property, or the family's own
        // member, it was not folded before register allocation, the dead loop's code stayed in the method, and a
        // 5+4 Shuffle256 pass ran 5× slower for it.
        for (; typeof(TFamily) == typeof(GfniFamily) && SizeOf<TK>() * SizeOf<TR>() <= UnrollCells && i <= -2 * (nint)TOps.Width; i += 2 * (nint)TOps.Width)
        {
            nint j = i + (nint)TOps.Width;
            Ahead(s0 + i, s0 + j);
            if (SizeOf<TK>() > 1) Ahead(s1 + i, s1 + j);
            if (SizeOf<TK>() > 2) Ahead(s2 + i, s2 + j);
            if (SizeOf<TK>() > 3) Ahead(s3 + i, s3 + j);
            if (SizeOf<TK>() > 4) Ahead(s4 + i, s4 + j);
            if (SizeOf<TK>() > 5) Ahead(s5 + i, s5 + j);
            if (SizeOf<TK>() > 6) Ahead(s6 + i, s6 + j);
            if (SizeOf<TK>() > 7) Ahead(s7 + i, s7 + j);
            if (SizeOf<TK>() > 8) Ahead(s8 + i, s8 + j);
            if (SizeOf<TK>() > 9) Ahead(s9 + i, s9 + j);
            if (SizeOf<TK>() > 10) Ahead(s10 + i, s10 + j);
            if (SizeOf<TK>() > 11) Ahead(s11 + i, s11 + j);
            TVec a0 = acc ? TOps.Load(o0 + i) : default;
            TVec a1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + i) : default;
            TVec a2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + i) : default;
            TVec a3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + i) : default;
            if (SizeOf<TK>() == 1) Fold(ref a0, ref a1, ref a2, ref a3, !acc, TOps.Load(s0 + i), k0_0, k1_0, k2_0, k3_0);
            else Fold(ref a0, ref a1, ref a2, ref a3, !acc, TOps.Load(s0 + i), k0_0, k1_0, k2_0, k3_0, TOps.Load(s1 + i), k0_1, k1_1, k2_1, k3_1);
            if (SizeOf<TK>() == 3) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s2 + i), k0_2, k1_2, k2_2, k3_2);
            if (SizeOf<TK>() > 3) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s2 + i), k0_2, k1_2, k2_2, k3_2, TOps.Load(s3 + i), k0_3, k1_3, k2_3, k3_3);
            if (SizeOf<TK>() == 5) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s4 + i), k0_4, k1_4, k2_4, k3_4);
            if (SizeOf<TK>() > 5) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s4 + i), k0_4, k1_4, k2_4, k3_4, TOps.Load(s5 + i), k0_5, k1_5, k2_5, k3_5);
            if (SizeOf<TK>() == 7) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s6 + i), k0_6, k1_6, k2_6, k3_6);
            if (SizeOf<TK>() > 7) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s6 + i), k0_6, k1_6, k2_6, k3_6, TOps.Load(s7 + i), k0_7, k1_7, k2_7, k3_7);
            if (SizeOf<TK>() == 9) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s8 + i), k0_8, k1_8, k2_8, k3_8);
            if (SizeOf<TK>() > 9) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s8 + i), k0_8, k1_8, k2_8, k3_8, TOps.Load(s9 + i), k0_9, k1_9, k2_9, k3_9);
            if (SizeOf<TK>() == 11) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s10 + i), k0_10, k1_10, k2_10, k3_10);
            if (SizeOf<TK>() > 11) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s10 + i), k0_10, k1_10, k2_10, k3_10, TOps.Load(s11 + i), k0_11, k1_11, k2_11, k3_11);
            Put(o0 + i, a0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + i, a3, nonTemporal & 8);
            TVec b0 = acc ? TOps.Load(o0 + j) : default;
            TVec b1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + j) : default;
            TVec b2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + j) : default;
            TVec b3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + j) : default;
            if (SizeOf<TK>() == 1) Fold(ref b0, ref b1, ref b2, ref b3, !acc, TOps.Load(s0 + j), k0_0, k1_0, k2_0, k3_0);
            else Fold(ref b0, ref b1, ref b2, ref b3, !acc, TOps.Load(s0 + j), k0_0, k1_0, k2_0, k3_0, TOps.Load(s1 + j), k0_1, k1_1, k2_1, k3_1);
            if (SizeOf<TK>() == 3) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s2 + j), k0_2, k1_2, k2_2, k3_2);
            if (SizeOf<TK>() > 3) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s2 + j), k0_2, k1_2, k2_2, k3_2, TOps.Load(s3 + j), k0_3, k1_3, k2_3, k3_3);
            if (SizeOf<TK>() == 5) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s4 + j), k0_4, k1_4, k2_4, k3_4);
            if (SizeOf<TK>() > 5) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s4 + j), k0_4, k1_4, k2_4, k3_4, TOps.Load(s5 + j), k0_5, k1_5, k2_5, k3_5);
            if (SizeOf<TK>() == 7) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s6 + j), k0_6, k1_6, k2_6, k3_6);
            if (SizeOf<TK>() > 7) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s6 + j), k0_6, k1_6, k2_6, k3_6, TOps.Load(s7 + j), k0_7, k1_7, k2_7, k3_7);
            if (SizeOf<TK>() == 9) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s8 + j), k0_8, k1_8, k2_8, k3_8);
            if (SizeOf<TK>() > 9) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s8 + j), k0_8, k1_8, k2_8, k3_8, TOps.Load(s9 + j), k0_9, k1_9, k2_9, k3_9);
            if (SizeOf<TK>() == 11) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s10 + j), k0_10, k1_10, k2_10, k3_10);
            if (SizeOf<TK>() > 11) Fold(ref b0, ref b1, ref b2, ref b3, false, TOps.Load(s10 + j), k0_10, k1_10, k2_10, k3_10, TOps.Load(s11 + j), k0_11, k1_11, k2_11, k3_11);
            Put(o0 + j, b0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + j, b1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + j, b2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + j, b3, nonTemporal & 8);
        }
        for (; i < 0; i += (nint)TOps.Width)
        {
            Ahead(s0 + i);
            if (SizeOf<TK>() > 1) Ahead(s1 + i);
            if (SizeOf<TK>() > 2) Ahead(s2 + i);
            if (SizeOf<TK>() > 3) Ahead(s3 + i);
            if (SizeOf<TK>() > 4) Ahead(s4 + i);
            if (SizeOf<TK>() > 5) Ahead(s5 + i);
            if (SizeOf<TK>() > 6) Ahead(s6 + i);
            if (SizeOf<TK>() > 7) Ahead(s7 + i);
            if (SizeOf<TK>() > 8) Ahead(s8 + i);
            if (SizeOf<TK>() > 9) Ahead(s9 + i);
            if (SizeOf<TK>() > 10) Ahead(s10 + i);
            if (SizeOf<TK>() > 11) Ahead(s11 + i);
            // Written-only outputs start from the first pair's products (or the lone source's) instead of zero.
            TVec a0 = acc ? TOps.Load(o0 + i) : default;
            TVec a1 = SizeOf<TR>() > 1 && acc ? TOps.Load(o1 + i) : default;
            TVec a2 = SizeOf<TR>() > 2 && acc ? TOps.Load(o2 + i) : default;
            TVec a3 = SizeOf<TR>() > 3 && acc ? TOps.Load(o3 + i) : default;
            if (SizeOf<TK>() == 1) Fold(ref a0, ref a1, ref a2, ref a3, !acc, TOps.Load(s0 + i), k0_0, k1_0, k2_0, k3_0);
            else Fold(ref a0, ref a1, ref a2, ref a3, !acc, TOps.Load(s0 + i), k0_0, k1_0, k2_0, k3_0, TOps.Load(s1 + i), k0_1, k1_1, k2_1, k3_1);
            if (SizeOf<TK>() == 3) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s2 + i), k0_2, k1_2, k2_2, k3_2);
            if (SizeOf<TK>() > 3) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s2 + i), k0_2, k1_2, k2_2, k3_2, TOps.Load(s3 + i), k0_3, k1_3, k2_3, k3_3);
            if (SizeOf<TK>() == 5) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s4 + i), k0_4, k1_4, k2_4, k3_4);
            if (SizeOf<TK>() > 5) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s4 + i), k0_4, k1_4, k2_4, k3_4, TOps.Load(s5 + i), k0_5, k1_5, k2_5, k3_5);
            if (SizeOf<TK>() == 7) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s6 + i), k0_6, k1_6, k2_6, k3_6);
            if (SizeOf<TK>() > 7) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s6 + i), k0_6, k1_6, k2_6, k3_6, TOps.Load(s7 + i), k0_7, k1_7, k2_7, k3_7);
            if (SizeOf<TK>() == 9) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s8 + i), k0_8, k1_8, k2_8, k3_8);
            if (SizeOf<TK>() > 9) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s8 + i), k0_8, k1_8, k2_8, k3_8, TOps.Load(s9 + i), k0_9, k1_9, k2_9, k3_9);
            if (SizeOf<TK>() == 11) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s10 + i), k0_10, k1_10, k2_10, k3_10);
            if (SizeOf<TK>() > 11) Fold(ref a0, ref a1, ref a2, ref a3, false, TOps.Load(s10 + i), k0_10, k1_10, k2_10, k3_10, TOps.Load(s11 + i), k0_11, k1_11, k2_11, k3_11);
            Put(o0 + i, a0, nonTemporal & 1);
            if (SizeOf<TR>() > 1) Put(o1 + i, a1, nonTemporal & 2);
            if (SizeOf<TR>() > 2) Put(o2 + i, a2, nonTemporal & 4);
            if (SizeOf<TR>() > 3) Put(o3 + i, a3, nonTemporal & 8);
        }
    }

    // The largest K·R shape whose loop is unrolled: 6+3 with its XOR row holds 12 constants and 6 accumulators.
    private const int UnrollCells = 18;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GfConstant<TVec> K(byte c) => TFamily.Constant<TOps, TVec>(c);

    // One source into every accumulator; with first, the product replaces the accumulator instead.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, bool first, TVec x,
        GfConstant<TVec> k0, GfConstant<TVec> k1, GfConstant<TVec> k2, GfConstant<TVec> k3)
    {
        TFamily.Split<TOps, TVec>(x, out TVec lo, out TVec hi);
        Add(ref a0, first, typeof(TXorRow) == typeof(Yes) ? x : TFamily.Multiply<TOps, TVec>(lo, hi, k0));
        if (SizeOf<TR>() > 1) Add(ref a1, first, TFamily.Multiply<TOps, TVec>(lo, hi, k1));
        if (SizeOf<TR>() > 2) Add(ref a2, first, TFamily.Multiply<TOps, TVec>(lo, hi, k2));
        if (SizeOf<TR>() > 3) Add(ref a3, first, TFamily.Multiply<TOps, TVec>(lo, hi, k3));
    }

    // Two sources into every accumulator, both products in one three-way XOR; with first, their XOR replaces it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold(
        ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, bool first,
        TVec x, GfConstant<TVec> k0, GfConstant<TVec> k1, GfConstant<TVec> k2, GfConstant<TVec> k3,
        TVec y, GfConstant<TVec> m0, GfConstant<TVec> m1, GfConstant<TVec> m2, GfConstant<TVec> m3)
    {
        TFamily.Split<TOps, TVec>(x, out TVec xl, out TVec xh);
        TFamily.Split<TOps, TVec>(y, out TVec yl, out TVec yh);
        if (typeof(TXorRow) == typeof(Yes)) Add(ref a0, first, x, y);
        else Add(ref a0, first, TFamily.Multiply<TOps, TVec>(xl, xh, k0), TFamily.Multiply<TOps, TVec>(yl, yh, m0));
        if (SizeOf<TR>() > 1) Add(ref a1, first, TFamily.Multiply<TOps, TVec>(xl, xh, k1), TFamily.Multiply<TOps, TVec>(yl, yh, m1));
        if (SizeOf<TR>() > 2) Add(ref a2, first, TFamily.Multiply<TOps, TVec>(xl, xh, k2), TFamily.Multiply<TOps, TVec>(yl, yh, m2));
        if (SizeOf<TR>() > 3) Add(ref a3, first, TFamily.Multiply<TOps, TVec>(xl, xh, k3), TFamily.Multiply<TOps, TVec>(yl, yh, m3));
    }

    // How far ahead a streaming pass asks for its sources. The streaming store modes are only chosen for calls
    // too large for the caches, so this runs only where the sources come from memory; in cache the hardware
    // prefetchers keep up and software prefetch measured as noise or worse (second session).
    private const int PrefetchAhead = 2048;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead(byte* p)
    {
        if ((typeof(TStore) == typeof(StreamAll) || typeof(TStore) == typeof(StreamSome)) && Sse.IsSupported) Sse.Prefetch0(p + PrefetchAhead);
    }

    // Both columns of an unrolled trip: one prefetch per line at 64-byte vectors, two per line below that.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead(byte* p, byte* q)
    {
        Ahead(p);
        if (TOps.Width >= 64) Ahead(q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref TVec a, bool first, TVec p) => a = first ? p : TOps.Xor(a, p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref TVec a, bool first, TVec p, TVec q) => a = first ? TOps.Xor(p, q) : TOps.Xor3(a, p, q);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(byte* p, TVec v, uint nonTemporal)
    {
        if (typeof(TStore) == typeof(StreamAll) || (typeof(TStore) == typeof(StreamSome) && nonTemporal != 0)) TOps.StoreNonTemporal(p, v);
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
        TailStaging.Stage(staging, staged, TOps.Width, SizeOf<TR>(), SizeOf<TK>(), outputs, sources, at, count);
        // The staging is not aligned for streaming, and a tail is too short to gain from it.
        if (typeof(TStore) == typeof(Accumulate)) Run(staged, staged + SizeOf<TR>(), matrix, stride, 0, TOps.Width, 0);
        else GfPass<TOps, TVec, TFamily, TK, TR, TXorRow, Overwrite>.Run(staged, staged + SizeOf<TR>(), matrix, stride, 0, TOps.Width, 0);
        TailStaging.Unstage(staged, SizeOf<TR>(), outputs, at, count);
    }
}
