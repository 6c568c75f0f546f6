namespace BitFusion.Core.Bits;

/// <summary>
/// Word arrays sized to their contents. A list or a fused backup is mostly its words, so its heap over its data is
/// the slack of this array: ArrayPool's power-of-two buckets made that up to 2×. Growth leaves room that widens with
/// the array: 1/64 below 256 words, where a list's fixed cost (headers, counters, about 120 bytes) already takes most
/// of a 10 % heap budget; 1/32 up to 511 words; 1/16 from 512 words (32 Ki bits); 1/8 from <see cref="HugeWords"/>
/// (8 MiB, 6.7 · 10^7 bits) on. Each appended bit then copies about 8 bytes in a small list and about 2 in a large
/// one (1 in a huge one): those copies are all an append-only load allocates. Past 8 MiB each growth is a fresh
/// large-object array the collector frees late, so the copies' count, not the slack, is what a huge list costs: a
/// 10^9-bit list grown by 1/16 allocated 17 times its size (faulting every page in afresh), by 1/8 9 times.
/// Arrays are fresh, hence zeroed, so the zero-tail invariant holds for the whole array.
/// </summary>
internal static class WordStorage
{
    /// <summary>From this many words an array grows by 1/16; half of it by 1/32; below that by 1/64.</summary>
    internal const int LargeWords = 512;

    /// <summary>From this many words (8 MiB) an array grows by 1/8.</summary>
    internal const int HugeWords = 1 << 20;

    /// <summary>A few words of slack never trigger a shrink, so small arrays stay put.</summary>
    private const int ShrinkFloorWords = 4;

    /// <summary>The room a growth to <paramref name="need"/> words leaves beyond it (at least one word).</summary>
    public static int Slack(int need) => Math.Max(1, need >> (need < LargeWords / 2 ? 6 : need < LargeWords ? 5 : need < HugeWords ? 4 : 3));

    /// <summary>The capacity a growth to <paramref name="need"/> words allocates.</summary>
    public static int GrownCapacity(int need) => (int)Math.Min(Array.MaxLength, (long)need + Slack(need));

    /// <summary>Grows <paramref name="words"/> to hold at least <paramref name="need"/> words, keeping its contents.</summary>
    public static void Grow(ref ulong[] words, int need)
    {
        if (need <= words.Length) return;
        ulong[] bigger = new ulong[GrownCapacity(need)];
        words.AsSpan().CopyTo(bigger);
        words = bigger;
    }

    /// <summary>
    /// True when an array of <paramref name="capacity"/> words holding <paramref name="live"/> has more slack than
    /// 1/16 (1/8 from <see cref="LargeWords"/> on, 1/4 from <see cref="HugeWords"/> on), plus a few words: at least twice
    /// what a growth leaves, so a list that shrank gives its memory back and one that hovers near a size does not
    /// reallocate each time.
    /// </summary>
    public static bool IsOversized(int capacity, int live) =>
        capacity > (long)live + (live >= HugeWords ? live >> 2 : live >= LargeWords ? live >> 3 : live >> 4) + ShrinkFloorWords;

    /// <summary>Reallocates <paramref name="words"/> to exactly <paramref name="live"/> words, which it keeps, when oversized.</summary>
    public static void Fit(ref ulong[] words, int live)
    {
        if (!IsOversized(words.Length, live)) return;
        ulong[] smaller = new ulong[live];
        words.AsSpan(0, live).CopyTo(smaller);
        words = smaller;
    }
}
