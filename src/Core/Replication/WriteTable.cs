using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Replication;

/// <summary>
/// A manager's writes from their multicast until their outcome, keyed by the multicast's sequence number. A write
/// completes once its final timestamp went out (<see cref="Finalized"/>) and every destination — the (node,
/// incarnation) pairs of its group when it started — has reported its delivery or left the view: so any serving
/// replica answers a later read with every completed write in it. Its result is what the replicas reported (the
/// first report; a different one counts as a divergence), or Unknown when every destination left before reporting.
/// A pure state machine with pooled entries; <typeparamref name="TTag"/> is the adapter's own record of the write
/// (who asked, under which client id and seq).
/// </summary>
public sealed class WriteTable<TTag>(IWriteTableOutput<TTag> output)
{
    private readonly Dictionary<long, Entry> _writes = [];
    private readonly Stack<Entry> _pool = new();
    private readonly List<long> _scratch = [];

    /// <summary>Writes multicast and not completed: what the window bounds.</summary>
    public int Count => _writes.Count;

    public long CompletedCount { get; private set; }

    public long Divergences { get; private set; }

    /// <summary>The tags of the writes in flight, for a retry to find its write or an exclusion to drop them all.</summary>
    public IEnumerable<TTag> Tags
    {
        get
        {
            foreach (Entry e in _writes.Values) yield return e.Tag;
        }
    }

    /// <summary>Records the multicast <paramref name="seq"/> of a write to <paramref name="destinations"/> (its group's members now).</summary>
    public void Add(long seq, int group, TTag tag, ReadOnlySpan<ViewMember> destinations)
    {
        Entry e = _pool.Count > 0 ? _pool.Pop() : new Entry();
        e.Group = group;
        e.Tag = tag;
        foreach (ViewMember m in destinations) e.AddDestination(m.Node, m.Incarnation);
        _writes.Add(seq, e);
    }

    /// <summary>A delivery report of this manager's multicast <paramref name="seq"/> from (node, incarnation); repeats are harmless.</summary>
    public void Delivered(long seq, int node, long incarnation, in DeliveryReport report)
    {
        if (!_writes.TryGetValue(seq, out Entry? e)) return;
        for (int i = 0; i < e.DestinationCount; i++)
        {
            ref Destination d = ref e.Destinations[i];
            if (d.Node == node && d.Incarnation == incarnation) d.Done = true;
        }
        if (report.Status != DeliveryStatus.InSnapshot) Record(e, report);
        TryComplete(seq, e);
    }

    /// <summary>Skeen's sender finalised multicast <paramref name="seq"/>: its final went to every destination.</summary>
    public void Finalized(long seq)
    {
        if (!_writes.TryGetValue(seq, out Entry? e)) return;
        e.Final = true;
        TryComplete(seq, e);
    }

    /// <summary>Skeen's sender abandoned multicast <paramref name="seq"/> (every destination left before proposing): nothing was applied.</summary>
    public bool Abandon(long seq, out TTag tag, out int group)
    {
        (tag, group) = (default!, -1);
        if (!_writes.Remove(seq, out Entry? e)) return false;
        (tag, group) = (e.Tag, e.Group);
        Recycle(e);
        return true;
    }

    /// <summary>After a view change: destinations that left no longer hold a write back.</summary>
    public void Settle(SkeenView view)
    {
        _scratch.Clear();
        foreach ((long seq, Entry e) in _writes)
        {
            bool changed = false;
            for (int i = 0; i < e.DestinationCount; i++)
            {
                ref Destination d = ref e.Destinations[i];
                if (d.Done || view.Contains(d.Node, d.Incarnation)) continue;
                d.Done = true;
                changed = true;
            }
            if (changed) _scratch.Add(seq);
        }
        foreach (long seq in _scratch)
            if (_writes.TryGetValue(seq, out Entry? e)) TryComplete(seq, e);
    }

    /// <summary>What the write still waits for, for diagnostics: "final" and/or the destinations not yet reported.</summary>
    public string Describe(long seq) =>
        !_writes.TryGetValue(seq, out Entry? e) ? "not in flight"
            : $"final {e.Final}, waiting on [{string.Join(' ', e.Destinations.Take(e.DestinationCount).Where(d => !d.Done).Select(d => $"{d.Node}@{d.Incarnation}"))}]";

    private void Record(Entry e, in DeliveryReport report)
    {
        if (!e.HasResult)
        {
            (e.HasResult, e.First) = (true, report);
            return;
        }
        if (e.First.Status == report.Status && e.First.Value == report.Value && e.First.Position == report.Position) return;
        Divergences++;
        output.Diverged(e.Group, e.First, report);
    }

    private void TryComplete(long seq, Entry e)
    {
        if (!e.Final || !e.Settled) return;
        _writes.Remove(seq);
        CompletedCount++;
        WriteResult result = !e.HasResult ? new WriteResult(WriteOutcome.Unknown, 0, 0)
            : e.First.Status == DeliveryStatus.Applied ? new WriteResult(WriteOutcome.Applied, e.First.Value, e.First.Position)
            : new WriteResult(WriteOutcome.Refused, e.First.Value, 0);
        TTag tag = e.Tag;
        int group = e.Group;
        Recycle(e);
        output.Completed(tag, group, result);
    }

    private void Recycle(Entry e)
    {
        e.Tag = default!;
        e.Final = e.HasResult = false;
        e.DestinationCount = 0;
        _pool.Push(e);
    }

    private sealed class Entry
    {
        public TTag Tag = default!;
        public int Group;
        public bool Final;
        public bool HasResult;
        public DeliveryReport First;
        public Destination[] Destinations = new Destination[4];
        public int DestinationCount;

        public bool Settled
        {
            get
            {
                for (int i = 0; i < DestinationCount; i++)
                    if (!Destinations[i].Done) return false;
                return true;
            }
        }

        public void AddDestination(int node, long incarnation)
        {
            if (DestinationCount == Destinations.Length) Array.Resize(ref Destinations, Destinations.Length * 2);
            Destinations[DestinationCount++] = new Destination { Node = node, Incarnation = incarnation };
        }
    }

    private struct Destination
    {
        public int Node;
        public long Incarnation;
        public bool Done;
    }
}
