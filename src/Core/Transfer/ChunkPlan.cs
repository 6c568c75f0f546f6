namespace BitFusion.Core.Transfer;

/// <summary>How a sender cuts a list of <see cref="TotalWords"/> words into chunks of at most <see cref="ChunkWords"/>: an empty list is one empty chunk.</summary>
internal readonly record struct ChunkPlan(int TotalWords, int ChunkWords)
{
    public int Count => TotalWords == 0 ? 1 : (TotalWords + ChunkWords - 1) / ChunkWords;

    public (int Offset, int Words) this[int i]
    {
        get
        {
            int offset = i * ChunkWords;
            return (offset, Math.Min(ChunkWords, TotalWords - offset));
        }
    }
}
