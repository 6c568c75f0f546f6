using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>
/// When a kernel streams its stores past the caches. Only destinations that are written without being read
/// (XorManyInto, EncodeInto) gain: streaming skips the read-for-ownership, which from memory took XOR of 5
/// sources from 23 to 28 GB/s and a 10+4 encode from 20.5 to 24 GB/s. A destination that is accumulated into is
/// read into the cache anyway, and streaming it measured ~5% slower, so those never stream. In cache streaming
/// loses (a 5+2 encode over 64 KiB buffers: 67 instead of 80 GB/s); with inputs in L3 the two break even near
/// 1 MiB per buffer (about 7 MiB touched, Zen 4, 32 MiB L3), and a call that large has usually just read its
/// inputs from memory, where streaming wins: a 5+2 encode of 1 MiB buffers from memory went from 1.25× to 1.54×
/// ISA-L 2.32 in the same process when the threshold came down from 8 to 4 MiB touched.
/// </summary>
internal static unsafe class NonTemporal
{
    /// <summary>Bytes touched by one call (every source and output) from which written-only outputs stream.</summary>
    public const ulong FootprintThreshold = 4UL << 20;

    public static bool Pays(int streams, nuint length) => (ulong)streams * length >= FootprintThreshold;

    /// <summary>Bytes before <paramref name="p"/> reaches a multiple of <paramref name="width"/>.</summary>
    public static nuint HeadBytes(byte* p, nuint width) => (width - ((nuint)p & (width - 1))) & (width - 1);

    /// <summary>Orders the streamed stores before anything the caller does next (they are weakly ordered).</summary>
    public static void Fence()
    {
        if (Sse.IsSupported) Sse.StoreFence();
        else Interlocked.MemoryBarrier();
    }
}
