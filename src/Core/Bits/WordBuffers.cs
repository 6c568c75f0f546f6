using System.Buffers;

namespace BitFusion.Core.Bits;

/// <summary>
/// Scratch word arrays for whole-list copies (a cut, a snapshot, a residual, a read-all answer). Up to
/// <see cref="PooledWords"/> they come from ArrayPool&lt;ulong&gt;.Shared, which rounds a rental up to a power of two
/// and keeps what is returned. Past that they are allocated at their exact size and left to the collector on
/// return: a pooled copy of a 10^10-bit list (156 M words) was a 2^28-word array, 2.1 GB for 1.25 GB of data,
/// and the pool kept it for the process's life.
/// </summary>
internal static class WordBuffers
{
    /// <summary>8 MiB of words, the largest copy that goes through the pool.</summary>
    public const int PooledWords = 1 << 20;

    /// <summary>An array of at least <paramref name="words"/> words (at least one); its contents are undefined.</summary>
    public static ulong[] Rent(int words)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(words);
        return words <= PooledWords ? ArrayPool<ulong>.Shared.Rent(Math.Max(1, words)) : GC.AllocateUninitializedArray<ulong>(words);
    }

    /// <summary>Gives back an array from <see cref="Rent"/>; one past <see cref="PooledWords"/> is left to the collector.</summary>
    public static void Return(ulong[] words)
    {
        if (words.Length <= PooledWords) ArrayPool<ulong>.Shared.Return(words);
    }
}
