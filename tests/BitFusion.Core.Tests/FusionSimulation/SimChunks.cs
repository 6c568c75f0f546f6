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

/// <summary>
/// A primary's link to a backup as the real outbox (ListsUnderWay) treats it: one list at a time; a load's chunks
/// (token 0) go at once, so the link's order keeps every later message behind them; a cut's snapshot goes out one
/// chunk per pump after its first, and messages produced after its first chunk go between the others. A list
/// produced while one is under way waits, with every message after it.
/// </summary>
internal sealed class SimBackupStream(FusionSimulation sim, SimProcess owner, SimLink link)
{
    private readonly Queue<SnapshotChunkMsg> _rest = new();
    private readonly Queue<object> _held = new();

    public void Message(object message)
    {
        if (_held.Count > 0) _held.Enqueue(message);
        else sim.Send(link, owner, message);
    }

    public void List(SnapshotChunkMsg[] chunks, bool overtakable)
    {
        if (_rest.Count > 0 || _held.Count > 0) _held.Enqueue(new HeldList(chunks, overtakable));
        else Start(chunks, overtakable);
    }

    private void Start(SnapshotChunkMsg[] chunks, bool overtakable)
    {
        if (!overtakable)
        {
            foreach (SnapshotChunkMsg chunk in chunks) sim.Send(link, owner, chunk);
            return;
        }
        sim.Send(link, owner, chunks[0]);
        foreach (SnapshotChunkMsg chunk in chunks.Skip(1)) _rest.Enqueue(chunk);
        if (_rest.Count > 0) SchedulePump();
    }

    private void SchedulePump()
    {
        int incarnation = owner.Incarnation;
        sim.At(sim.Now + sim.Rng.Next(1, 2 * (int)FusionSimOptions.ChunkWireMs + 1), () =>
        {
            if (owner.Incarnation == incarnation) sim.Deliver(owner, Pump);
        });
    }

    private void Pump()
    {
        if (!link.Open || _rest.Count == 0) return;
        sim.Send(link, owner, _rest.Dequeue());
        if (_rest.Count > 0)
        {
            SchedulePump();
            return;
        }
        while (_held.TryPeek(out object? item))
        {
            if (item is HeldList list)
            {
                if (_rest.Count > 0) break;
                _held.Dequeue();
                Start(list.Chunks, list.Overtakable);
                continue;
            }
            _held.Dequeue();
            sim.Send(link, owner, item);
        }
    }

    private sealed record HeldList(SnapshotChunkMsg[] Chunks, bool Overtakable);
}
