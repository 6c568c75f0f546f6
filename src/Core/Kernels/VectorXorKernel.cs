using System.Runtime.InteropServices;

namespace BitFusion.Core.Kernels;

/// <summary>
/// XOR at one vector width. Up to eight sources go through one pass with the count fixed at JIT time; more are
/// split into balanced chunks applied block by block, so dst is fetched from memory once and the later chunks
/// find it in cache. A dst that is only written (<see cref="XorManyInto"/>) is streamed past the caches once
/// the call is large; one that is accumulated into never is, since it has been read into the cache anyway.
/// </summary>
internal sealed unsafe class VectorXorKernel<TOps, TVec>(XorTier tier) : XorKernel
    where TOps : struct, ISimd<TVec>
    where TVec : struct
{
    private const int PassSources = 8;

    // Small enough that a block of dst stays in L2 between chunks; a multiple of every width.
    private const nuint Block = 64 * 1024;

    // Below this a scalar loop beats staging a padded vector (single-word deltas land here).
    private const nuint ScalarBelow = 16;

    public override XorTier Tier => tier;

    public override void Xor(byte* dst, byte* src, nuint length)
    {
        if (length == 0) return;
        nint source = (nint)src;
        Accumulate(dst, &source, 1, length);
    }

    public override void XorMany(byte* dst, ReadOnlySpan<nint> sources, nuint length)
    {
        if (sources.IsEmpty || length == 0) return;
        fixed (nint* src = sources)
            Accumulate(dst, src, sources.Length, length);
    }

    public override void XorManyInto(byte* dst, ReadOnlySpan<nint> sources, nuint length)
    {
        if (length == 0) return;
        if (sources.IsEmpty)
        {
            NativeMemory.Clear(dst, length);
            return;
        }
        fixed (nint* src = sources)
        {
            int k = sources.Length;
            if (length < ScalarBelow)
            {
                KernelSupport.ScalarXor.XorManyInto(dst, sources, length);
                return;
            }
            if (!NonTemporal.Pays(k + 1, length))
            {
                Range<Yes, No>(dst, src, k, 0, length);
                return;
            }
            nuint head = NonTemporal.HeadBytes(dst, TOps.Width);
            nuint bodyEnd = head + ((length - head) & ~(TOps.Width - 1));
            Range<Yes, No>(dst, src, k, 0, head);
            Range<Yes, Yes>(dst, src, k, head, bodyEnd);
            NonTemporal.Fence();
            Range<Yes, No>(dst, src, k, bodyEnd, length);
        }
    }

    private static void Accumulate(byte* dst, nint* src, int k, nuint length)
    {
        if (length < ScalarBelow) KernelSupport.ScalarXor.XorMany(dst, new ReadOnlySpan<nint>(src, k), length);
        else Range<No, No>(dst, src, k, 0, length);
    }

    private static void Range<TOverwrite, TNonTemporal>(byte* dst, nint* src, int k, nuint start, nuint end)
        where TOverwrite : struct, IFlag
        where TNonTemporal : struct, IFlag
    {
        if (start == end) return;
        if (k <= PassSources)
        {
            Pass<TOverwrite, TNonTemporal>(dst, src, k, start, end);
            return;
        }
        int chunks = (k + PassSources - 1) / PassSources;
        for (nuint block = start; block < end; block += Block)
        {
            nuint blockEnd = end - block > Block ? block + Block : end;
            int n = k / chunks;
            Pass<TOverwrite, No>(dst, src, n, block, blockEnd);
            int first = n;
            for (int c = 1; c < chunks - 1; c++)
            {
                n = (k - first) / (chunks - c);
                Pass<No, No>(dst, src + first, n, block, blockEnd);
                first += n;
            }
            Pass<No, TNonTemporal>(dst, src + first, k - first, block, blockEnd);
        }
    }

    private static void Pass<TOverwrite, TNonTemporal>(byte* dst, nint* src, int k, nuint start, nuint end)
        where TOverwrite : struct, IFlag
        where TNonTemporal : struct, IFlag
    {
        switch (k)
        {
            case 1: XorPass<TOps, TVec>.Run<N1, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 2: XorPass<TOps, TVec>.Run<N2, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 3: XorPass<TOps, TVec>.Run<N3, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 4: XorPass<TOps, TVec>.Run<N4, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 5: XorPass<TOps, TVec>.Run<N5, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 6: XorPass<TOps, TVec>.Run<N6, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            case 7: XorPass<TOps, TVec>.Run<N7, TOverwrite, TNonTemporal>(dst, src, start, end); break;
            default: XorPass<TOps, TVec>.Run<N8, TOverwrite, TNonTemporal>(dst, src, start, end); break;
        }
    }
}
