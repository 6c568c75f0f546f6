namespace BitFusion.Core.Bits;

/// <summary>
/// Word arrays sized to their contents. A list or a fused backup is mostly its words, so its heap over its data is
/// the slack of this array: ArrayPool's power-of-two buckets made that up to 2×. Growth adds 1/64 (at least one
/// word), which keeps the copies of a list grown one bit at a time linear (each word is copied about 64 times) while
/// the slack stays under 2 %. Arrays are fresh, hence zeroed, so the zero-tail invariant holds for the whole array.
/// </summary>
internal static class WordStorage
{
    /// <summary>Slack growth leaves: 1/2^GrowthShift of the need.</summary>
    private const int GrowthShift = 6;

    /// <summary>Shrinking pays once the slack is this many 64ths of the need, plus a few words so small arrays stay put.</summary>
    private const int ShrinkAt = 4, ShrinkFloorWords = 4;

    /// <summary>The capacity a growth to <paramref name="need"/> words allocates.</summary>
    public static int GrownCapacity(int need) => (int)Math.Min(Array.MaxLength, need + Math.Max(1L, (long)need >> GrowthShift));

    /// <summary>Grows <paramref name="words"/> to hold at least <paramref name="need"/> words, keeping its contents.</summary>
    public static void Grow(ref ulong[] words, int need)
    {
        if (need <= words.Length) return;
        ulong[] bigger = new ulong[GrownCapacity(need)];
        words.AsSpan().CopyTo(bigger);
        words = bigger;
    }

    /// <summary>
    /// True when an array of <paramref name="capacity"/> words holding <paramref name="live"/> has more than 1/16
    /// slack (and a few words): a list that shrank gives its memory back, one that hovers near a size does not
    /// reallocate each time.
    /// </summary>
    public static bool IsOversized(int capacity, int live) =>
        capacity > live + ((long)live * ShrinkAt >> GrowthShift) + ShrinkFloorWords;

    /// <summary>Reallocates <paramref name="words"/> to exactly <paramref name="live"/> words, which it keeps, when oversized.</summary>
    public static void Fit(ref ulong[] words, int live)
    {
        if (!IsOversized(words.Length, live)) return;
        ulong[] smaller = new ulong[live];
        words.AsSpan(0, live).CopyTo(smaller);
        words = smaller;
    }
}
