namespace BitFusion.Core.Transfer;

/// <summary>
/// The receiving side of one whole list that arrives in chunks (a snapshot, a residual, a read-all reply): which
/// words have arrived and whether the next chunk may be written straight into the destination. Chunks come in
/// order on one connection, so the received words are always a prefix; a chunk that lies wholly inside that prefix
/// is a re-delivery and changes nothing. A dropped connection discards its cursors, and the sender starts the
/// transfer over from word 0 on the next one.
/// </summary>
internal struct ChunkCursor
{
    public ChunkCursor(int totalWords)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalWords);
        TotalWords = totalWords;
    }

    public int TotalWords { get; }

    /// <summary>Words 0..Received have been written.</summary>
    public int Received { get; private set; }

    /// <summary>True once every word has arrived (at once for an empty list).</summary>
    public readonly bool Complete => Received == TotalWords;

    /// <summary>
    /// Judges a chunk of <paramref name="count"/> words at word <paramref name="offset"/> of a transfer announcing
    /// <paramref name="totalWords"/> words, without changing anything: the caller writes a <see cref="ChunkVerdict.Next"/>
    /// chunk at its offset and then calls <see cref="Advance"/>.
    /// </summary>
    public readonly ChunkVerdict Judge(int totalWords, long offset, int count, out string? why)
    {
        why = null;
        if (totalWords != TotalWords)
            why = $"a chunk announces {totalWords} words; its transfer holds {TotalWords}";
        else if (offset < 0 || count < 0 || offset + count > TotalWords)
            why = $"chunk words {offset}..{offset + count} lie outside 0..{TotalWords}";
        else if (count == 0 && TotalWords > 0)
            why = "an empty chunk in a non-empty transfer";
        else if (offset + count <= Received && count > 0)
            return ChunkVerdict.Duplicate;
        else if (offset != Received)
            why = $"a chunk at word {offset} leaves a gap or overlaps: words 0..{Received} have arrived";
        return why is null ? ChunkVerdict.Next : ChunkVerdict.Invalid;
    }

    /// <summary>Records a <see cref="ChunkVerdict.Next"/> chunk of <paramref name="count"/> words as written.</summary>
    public void Advance(int count) => Received += count;
}

internal enum ChunkVerdict : byte
{
    /// <summary>The next words: write them at their offset, then advance.</summary>
    Next,

    /// <summary>Words already received (a re-delivery): ignore them.</summary>
    Duplicate,

    /// <summary>Out of range, a gap, a partial overlap or a different total: the sender is broken.</summary>
    Invalid,
}
