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
    public Delta(int newLength, int firstWord, ReadOnlySpan<ulong> words, int extraWord = -1, ulong extraXor = 0)
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
    public int NewLength { get; }

    public int FirstWord { get; }

    /// <summary>old ⊕ new for words FirstWord .. FirstWord + Words.Length - 1.</summary>
    public ReadOnlySpan<ulong> Words { get; }

    /// <summary>Index of a second touched word outside the run, or -1.</summary>
    public int ExtraWord { get; }

    public ulong ExtraXor { get; }

    public bool HasExtra => ExtraWord >= 0;

    /// <summary>One past the highest word index this delta touches.</summary>
    public int EndWord => Math.Max(FirstWord + Words.Length, HasExtra ? ExtraWord + 1 : 0);

    public static int WordsFor(int bits) => (int)(((uint)bits + 63u) >> 6);
}
