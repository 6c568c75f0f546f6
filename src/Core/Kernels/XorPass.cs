using System.Runtime.CompilerServices;

using static System.Runtime.CompilerServices.Unsafe;

namespace BitFusion.Core.Kernels;

/// <summary>
/// One pass of dst (^)= src_0 ^ … ^ src_(K-1) at one vector width, with K, whether dst is read, and the store
/// kind fixed at JIT time.
/// </summary>
internal static unsafe class XorPass<TOps, TVec>
    where TOps : struct, ISimd<TVec>
    where TVec : struct
{
    /// <summary>
    /// Bytes [start, end) of dst and of each of the K sources. With <typeparamref name="TOverwrite"/> dst is
    /// only written (dst = Σ), else accumulated (dst ^= Σ). Non-temporal stores need dst + start aligned to the
    /// width; a tail shorter than one vector always takes normal stores. Marked for full optimisation at once:
    /// the unoptimised tier calls every vector helper and runs two orders of magnitude slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TK, TOverwrite, TNonTemporal>(byte* dst, nint* src, nuint start, nuint end)
        where TK : struct, ICount
        where TOverwrite : struct, IFlag
        where TNonTemporal : struct, IFlag
    {
        byte* s0 = (byte*)src[0];
        byte* s1 = SizeOf<TK>() > 1 ? (byte*)src[1] : null;
        byte* s2 = SizeOf<TK>() > 2 ? (byte*)src[2] : null;
        byte* s3 = SizeOf<TK>() > 3 ? (byte*)src[3] : null;
        byte* s4 = SizeOf<TK>() > 4 ? (byte*)src[4] : null;
        byte* s5 = SizeOf<TK>() > 5 ? (byte*)src[5] : null;
        byte* s6 = SizeOf<TK>() > 6 ? (byte*)src[6] : null;
        byte* s7 = SizeOf<TK>() > 7 ? (byte*)src[7] : null;

        nuint i = start;
        for (; i + TOps.Width <= end; i += TOps.Width)
        {
            TVec a = typeof(TOverwrite) == typeof(Yes) ? TOps.Load(s0 + i) : TOps.Xor(TOps.Load(dst + i), TOps.Load(s0 + i));
            if (SizeOf<TK>() > 1) a = TOps.Xor(a, TOps.Load(s1 + i));
            if (SizeOf<TK>() > 2) a = TOps.Xor(a, TOps.Load(s2 + i));
            if (SizeOf<TK>() > 3) a = TOps.Xor(a, TOps.Load(s3 + i));
            if (SizeOf<TK>() > 4) a = TOps.Xor(a, TOps.Load(s4 + i));
            if (SizeOf<TK>() > 5) a = TOps.Xor(a, TOps.Load(s5 + i));
            if (SizeOf<TK>() > 6) a = TOps.Xor(a, TOps.Load(s6 + i));
            if (SizeOf<TK>() > 7) a = TOps.Xor(a, TOps.Load(s7 + i));
            if (typeof(TNonTemporal) == typeof(Yes)) TOps.StoreNonTemporal(dst + i, a);
            else TOps.Store(dst + i, a);
        }
        if (i < end) Tail<TK, TOverwrite>(dst, src, i, end - i);
    }

    // Fewer bytes than a vector: run one vector over copies padded to full width, then copy back what is real.
    // The padding's contents never reach the caller, so it is left uninitialised.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Tail<TK, TOverwrite>(byte* dst, nint* src, nuint at, nuint count)
        where TK : struct, ICount
        where TOverwrite : struct, IFlag
    {
        byte* staging = stackalloc byte[(SizeOf<TK>() + 1) * (int)TOps.Width];
        nint* staged = stackalloc nint[SizeOf<TK>()];
        for (int s = 0; s < SizeOf<TK>(); s++)
        {
            staged[s] = (nint)(staging + (nuint)(s + 1) * TOps.Width);
            CopyBlockUnaligned((byte*)staged[s], (byte*)src[s] + at, (uint)count);
        }
        if (typeof(TOverwrite) == typeof(No)) CopyBlockUnaligned(staging, dst + at, (uint)count);
        Run<TK, TOverwrite, No>(staging, staged, 0, TOps.Width);
        CopyBlockUnaligned(dst + at, staging, (uint)count);
    }
}
