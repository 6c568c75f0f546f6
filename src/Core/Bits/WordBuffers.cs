using System.Buffers;

namespace BitFusion.Core.Bits;

/// <summary>
/// Scratch word arrays for whole-list copies (a cut, a snapshot, a residual, a read-all answer). Up to
/// <see cref="PooledWords"/> they come from ArrayPool&lt;ulong&gt;.Shared, which rounds a rental up to a power of two
/// and keeps what is returned. Past that they are allocated at their exact size and left to the collector on
/// return: a pooled copy of a 10^10-bit list (156 M words) was a 2^28-word array, 2.1 GB for 1.25 GB of data,
/// and the pool kept it for the process's life. A returned large array is still held weakly, in one of
/// <see cref="SpareSlots"/> slots, until the collector takes it: a rental of about its size meanwhile reuses it,
/// pages already faulted in, instead of faulting in a fresh array (a 12.5 MB copy into fresh pages took twice as
/// long as the copy, measured in a recovery of 10^8 bits). Held weakly it keeps nothing alive that the collector
/// would have freed, so memory is as if it had been left to the collector.
/// </summary>
internal static class WordBuffers
{
    /// <summary>8 MiB of words, the largest copy that goes through the pool.</summary>
    public const int PooledWords = 1 << 20;

    /// <summary>Returned large arrays held weakly: a recovery's survivors, cut and residual in one process.</summary>
    internal const int SpareSlots = 8;

    private static readonly Lock s_gate = new();
    private static readonly WeakReference<ulong[]?>[] s_spares = Enumerable.Range(0, SpareSlots).Select(_ => new WeakReference<ulong[]?>(null)).ToArray();

    /// <summary>An array of at least <paramref name="words"/> words (at least one); its contents are undefined.</summary>
    public static ulong[] Rent(int words)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(words);
        if (words <= PooledWords) return ArrayPool<ulong>.Shared.Rent(Math.Max(1, words));
        lock (s_gate)
        {
            foreach (WeakReference<ulong[]?> spare in s_spares)
            {
                // At most an eighth too long, as a list's growth leaves: a spare is never much more than what is asked.
                if (spare.TryGetTarget(out ulong[]? a) && a is not null && a.Length >= words && a.Length - words <= words >> 3)
                {
                    spare.SetTarget(null);
                    return a;
                }
            }
        }
        return GC.AllocateUninitializedArray<ulong>(words);
    }

    /// <summary>Gives back an array from <see cref="Rent"/>; one past <see cref="PooledWords"/> is left to the collector, held weakly until it takes it.</summary>
    public static void Return(ulong[] words)
    {
        if (words.Length <= PooledWords)
        {
            ArrayPool<ulong>.Shared.Return(words);
            return;
        }
        lock (s_gate)
        {
            foreach (WeakReference<ulong[]?> spare in s_spares)
            {
                if (!spare.TryGetTarget(out ulong[]? a) || a is null)
                {
                    spare.SetTarget(words);
                    return;
                }
            }
        }
    }
}
