namespace BitFusion.Core.Kernels;

/// <summary>
/// XOR at one vector width. Up to eight sources go through one pass with the count fixed at JIT time; more are
/// split into balanced chunks applied block by block, so dst is read from memory once and the later chunks
/// find it in cache. Past the non-temporal threshold dst is aligned and the aligned body is streamed.
/// </summary>
internal sealed unsafe class VectorXorKernel<TOps, TVec>(XorTier tier) : XorKernel
    where TOps : struct, ISimd<TVec>
    where TVec : struct
{
    private const int PassSources = 8;

    // Small enough that a block of dst stays in L1/L2 between chunks; a multiple of every width.
    private const nuint Block = 8 * 1024;

    // Below this a scalar loop beats staging a padded vector (single-word deltas land here).
    private const nuint ScalarBelow = 16;

    public override XorTier Tier => tier;

    public override void Xor(byte* dst, byte* src, nuint length)
    {
        if (length == 0) return;
        nint source = (nint)src;
        Apply(dst, &source, 1, length);
    }

    public override void XorMany(byte* dst, ReadOnlySpan<nint> sources, nuint length)
    {
        if (sources.IsEmpty || length == 0) return;
        fixed (nint* src = sources)
            Apply(dst, src, sources.Length, length);
    }

    private static void Apply(byte* dst, nint* src, int k, nuint length)
    {
        if (length < ScalarBelow)
        {
            KernelSupport.ScalarXor.XorMany(dst, new ReadOnlySpan<nint>(src, k), length);
            return;
        }
        if (!NonTemporal.Pays(k + 1, length))
        {
            Range<No>(dst, src, k, 0, length);
            return;
        }
        nuint head = NonTemporal.HeadBytes(dst, TOps.Width);
        nuint bodyEnd = head + ((length - head) & ~(TOps.Width - 1));
        Range<No>(dst, src, k, 0, head);
        Range<Yes>(dst, src, k, head, bodyEnd);
        NonTemporal.Fence();
        Range<No>(dst, src, k, bodyEnd, length);
    }

    private static void Range<TNonTemporal>(byte* dst, nint* src, int k, nuint start, nuint end)
        where TNonTemporal : struct, IFlag
    {
        if (start == end) return;
        if (k <= PassSources)
        {
            Pass<TNonTemporal>(dst, src, k, start, end);
            return;
        }
        int chunks = (k + PassSources - 1) / PassSources;
        for (nuint block = start; block < end; block += Block)
        {
            nuint blockEnd = end - block > Block ? block + Block : end;
            int first = 0;
            for (int c = 0; c < chunks - 1; c++)
            {
                int n = (k - first) / (chunks - c);
                Pass<No>(dst, src + first, n, block, blockEnd);
                first += n;
            }
            Pass<TNonTemporal>(dst, src + first, k - first, block, blockEnd);
        }
    }

    private static void Pass<TNonTemporal>(byte* dst, nint* src, int k, nuint start, nuint end)
        where TNonTemporal : struct, IFlag
    {
        switch (k)
        {
            case 1: XorPass<TOps, TVec>.Run<N1, TNonTemporal>(dst, src, start, end); break;
            case 2: XorPass<TOps, TVec>.Run<N2, TNonTemporal>(dst, src, start, end); break;
            case 3: XorPass<TOps, TVec>.Run<N3, TNonTemporal>(dst, src, start, end); break;
            case 4: XorPass<TOps, TVec>.Run<N4, TNonTemporal>(dst, src, start, end); break;
            case 5: XorPass<TOps, TVec>.Run<N5, TNonTemporal>(dst, src, start, end); break;
            case 6: XorPass<TOps, TVec>.Run<N6, TNonTemporal>(dst, src, start, end); break;
            case 7: XorPass<TOps, TVec>.Run<N7, TNonTemporal>(dst, src, start, end); break;
            default: XorPass<TOps, TVec>.Run<N8, TNonTemporal>(dst, src, start, end); break;
        }
    }
}
