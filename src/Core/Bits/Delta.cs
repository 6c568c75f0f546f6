namespace BitFusion.Core.Bits;

/// <summary>
/// One mutation of a bit list, as the XOR of old and new words: a contiguous run starting at
/// <see cref="FirstWord"/>, plus at most one further word for swap-remove, whose two touched words can be far
/// apart. Applying a delta is XOR-ing it in and adopting <see cref="NewLength"/>; that is linear, so a fused
/// backup applies c·delta to its coded words without knowing the list.
/// The spans point into the producer's scratch memory and are valid until its next mutation.
/// </summary>
public readonly ref struct Delta
{
    /// <summary>
    /// Describes a mutation: the new bit count, the XOR run starting at word <paramref name="firstWord"/>, and an
    /// optional extra word (<paramref name="extraWord"/> = -1 for none). The delta borrows <paramref name="words"/>; it
    /// copies nothing. Throws <see cref="ArgumentOutOfRangeException"/> for a negative length or first word.
    /// </summary>
    public Delta(long newLength, int firstWord, ReadOnlySpan<ulong> words, int extraWord = -1, ulong extraXor = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newLength);
        ArgumentOutOfRangeException.ThrowIfNegative(firstWord);
        NewLength = newLength;
        FirstWord = firstWord;
        Words = words;
        ExtraWord = extraWord;
        ExtraXor = extraXor;
    }

    /// <summary>The list's bit count after the mutation.</summary>
    public long NewLength { get; }

    /// <summary>Index of the first word the XOR run <see cref="Words"/> covers.</summary>
    public int FirstWord { get; }

    /// <summary>old ⊕ new for words FirstWord .. FirstWord + Words.Length - 1.</summary>
    public ReadOnlySpan<ulong> Words { get; }

    /// <summary>Index of a second touched word outside the run, or -1.</summary>
    public int ExtraWord { get; }

    /// <summary>
    /// old ⊕ new for word <see cref="ExtraWord"/>; meaningless when <see cref="HasExtra"/> is false.
    /// </summary>
    public ulong ExtraXor { get; }

    /// <summary>True when the delta touches a word outside its contiguous run (a swap-remove's far word).</summary>
    public bool HasExtra => ExtraWord >= 0;

    /// <summary>One past the highest word index this delta touches.</summary>
    public int EndWord => Math.Max(FirstWord + Words.Length, HasExtra ? ExtraWord + 1 : 0);

    /// <summary>
    /// The most bits a list, a fused backup or a wire length may declare: a word short of int.MaxValue bytes, so
    /// every word count and byte count (spans, kernels, chunk offsets) stays an int while bit counts are long.
    /// </summary>
    public const long MaxBits = (long)(int.MaxValue / sizeof(ulong)) * 64 - 64;

    /// <summary>
    /// The number of 64-bit words that hold <paramref name="bits"/> bits (rounded up), for 0 ≤ bits ≤
    /// <see cref="MaxBits"/>; a length read off the wire is checked against that range before it gets here.
    /// </summary>
    public static int WordsFor(long bits) => (int)(((ulong)bits + 63UL) >> 6);
}
