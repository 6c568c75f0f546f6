using System.Buffers;

namespace BitFusion.Core.Bits;

/// <summary>
/// Word arrays from ArrayPool, always handed out zeroed: the zero-tail invariant covers the whole array, so a pooled
/// array's previous contents must never show through.
/// </summary>
internal static class PooledWords
{
    public static ulong[] Rent(int words)
    {
        ulong[] a = ArrayPool<ulong>.Shared.Rent(words);
        a.AsSpan().Clear();
        return a;
    }

    /// <summary>Grows <paramref name="words"/> to hold at least <paramref name="need"/> words (doubling), keeping its contents.</summary>
    public static void Grow(ref ulong[] words, int need)
    {
        if (need <= words.Length) return;
        ulong[] bigger = Rent(Math.Max(need, words.Length * 2));
        words.AsSpan().CopyTo(bigger);
        ArrayPool<ulong>.Shared.Return(words);
        words = bigger;
    }
}
