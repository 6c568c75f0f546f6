using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>
/// When a kernel writes its outputs with non-temporal stores. They skip the read-for-ownership and the cache
/// pollution, which is worth ~30% from memory, but cost 20–50% when the data would have stayed in cache; so
/// they are used only once the bytes a call touches clearly exceed what the caches keep.
/// </summary>
internal static unsafe class NonTemporal
{
    /// <summary>Bytes touched by one call (every source and output, read or written) from which stores stream.</summary>
    public const ulong FootprintThreshold = 16UL << 20;

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
