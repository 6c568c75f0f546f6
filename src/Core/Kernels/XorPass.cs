using System.Runtime.CompilerServices;

namespace BitFusion.Core.Kernels;

/// <summary>
/// One pass of dst ^= src_0 ^ … ^ src_(K-1) at one vector width, with K and the store kind fixed at JIT time.
/// </summary>
internal static unsafe class XorPass<TOps, TVec>
    where TOps : struct, ISimd<TVec>
    where TVec : struct
{
    /// <summary>
    /// Bytes [start, end) of dst and of each of the K sources. Non-temporal stores need dst + start aligned to
    /// the width; a tail shorter than one vector always takes normal stores.
    /// </summary>
    public static void Run<TK, TNonTemporal>(byte* dst, nint* src, nuint start, nuint end)
        where TK : struct, ICount
        where TNonTemporal : struct, IFlag
    {
        byte* s0 = (byte*)src[0];
        byte* s1 = TK.Value > 1 ? (byte*)src[1] : null;
        byte* s2 = TK.Value > 2 ? (byte*)src[2] : null;
        byte* s3 = TK.Value > 3 ? (byte*)src[3] : null;
        byte* s4 = TK.Value > 4 ? (byte*)src[4] : null;
        byte* s5 = TK.Value > 5 ? (byte*)src[5] : null;
        byte* s6 = TK.Value > 6 ? (byte*)src[6] : null;
        byte* s7 = TK.Value > 7 ? (byte*)src[7] : null;

        nuint i = start;
        for (; i + TOps.Width <= end; i += TOps.Width)
        {
            TVec a = TOps.Xor(TOps.Load(dst + i), TOps.Load(s0 + i));
            if (TK.Value > 1) a = TOps.Xor(a, TOps.Load(s1 + i));
            if (TK.Value > 2) a = TOps.Xor(a, TOps.Load(s2 + i));
            if (TK.Value > 3) a = TOps.Xor(a, TOps.Load(s3 + i));
            if (TK.Value > 4) a = TOps.Xor(a, TOps.Load(s4 + i));
            if (TK.Value > 5) a = TOps.Xor(a, TOps.Load(s5 + i));
            if (TK.Value > 6) a = TOps.Xor(a, TOps.Load(s6 + i));
            if (TK.Value > 7) a = TOps.Xor(a, TOps.Load(s7 + i));
            if (TNonTemporal.Value) TOps.StoreNonTemporal(dst + i, a);
            else TOps.Store(dst + i, a);
        }
        if (i < end) Tail<TK>(dst, src, i, end - i);
    }

    // Fewer bytes than a vector: run one vector over copies padded to full width, then copy back what is real.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail<TK>(byte* dst, nint* src, nuint at, nuint count) where TK : struct, ICount
    {
        byte* staging = stackalloc byte[(TK.Value + 1) * (int)TOps.Width];
        nint* staged = stackalloc nint[TK.Value];
        for (int s = 0; s < TK.Value; s++)
        {
            staged[s] = (nint)(staging + (nuint)(s + 1) * TOps.Width);
            Unsafe.CopyBlockUnaligned((byte*)staged[s], (byte*)src[s] + at, (uint)count);
        }
        Unsafe.CopyBlockUnaligned(staging, dst + at, (uint)count);
        Run<TK, No>(staging, staged, 0, TOps.Width);
        Unsafe.CopyBlockUnaligned(dst + at, staging, (uint)count);
    }
}
