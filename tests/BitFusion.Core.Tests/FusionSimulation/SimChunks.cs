using BitFusion.Core.Transfer;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// Whole lists on the simulated network travel as the real nodes send them: chunk messages of at most
/// <see cref="ChunkWords"/> words (one word, so any list past 64 bits spans several and a drop or pause can land
/// between them), reassembled through the same <see cref="ChunkCursor"/> the socket adapters use.
/// </summary>
internal static class SimChunks
{
    public const int ChunkWords = 1;

    /// <summary>Each chunk of <paramref name="words"/>: (total, offset, owned copy of its words).</summary>
    public static List<(int Total, int Offset, ulong[] Words)> Split(ReadOnlySpan<ulong> words)
    {
        var plan = new ChunkPlan(words.Length, ChunkWords);
        var chunks = new List<(int, int, ulong[])>(plan.Count);
        for (int i = 0; i < plan.Count; i++)
        {
            (int offset, int count) = plan[i];
            chunks.Add((words.Length, offset, words.Slice(offset, count).ToArray()));
        }
        return chunks;
    }
}

/// <summary>A list arriving in chunk messages on one simulated link; a dropped link discards it.</summary>
internal sealed class SimInbound(ulong key, int totalWords)
{
    private ChunkCursor _cursor = new(totalWords);

    public ulong Key { get; } = key;
    public ulong[] Words { get; } = new ulong[totalWords];

    /// <summary>The transfer a chunk belongs to: <paramref name="current"/> if it continues it, else a new one starting at word 0.</summary>
    public static SimInbound? For(FusionSimulation sim, SimInbound? current, ulong key, int total, int offset, string what)
    {
        if (current is not null && current.Key == key && !current._cursor.Complete) return current;
        if (offset == 0) return new SimInbound(key, total);
        sim.Fail($"{what}: a chunk at word {offset} of transfer {key} arrived with no such transfer under way");
        return null;
    }

    /// <summary>Writes the chunk in place; true once the list is complete. A chunk the cursor refuses fails the run.</summary>
    public bool Accept(FusionSimulation sim, int total, int offset, ulong[] words, string what)
    {
        switch (_cursor.Judge(total, offset, words.Length, out string? why))
        {
            case ChunkVerdict.Invalid:
                sim.Fail($"{what}: {why}");
                return false;
            case ChunkVerdict.Next:
                words.CopyTo(Words, offset);
                _cursor.Advance(words.Length);
                break;
        }
        if (!_cursor.Complete) return false;
        sim.ChunkedTransfers++;
        if (total > ChunkWordsOne) sim.MultiChunkTransfers++;
        return true;
    }

    private const int ChunkWordsOne = SimChunks.ChunkWords;
}
