using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Replication;

/// <summary>
/// A manager's writes from their multicast until their outcome, keyed by the multicast's sequence number. A write
/// completes once its final timestamp went out (<see cref="Finalized"/>) and every destination — the (node,
/// incarnation) pairs of its group when it started — has reported its delivery or left the view: so any serving
/// replica answers a later read with every completed write in it. Its result is what the destinations still in the
/// view reported. A destination that left may have delivered in another order: Skeen's sender (or orphan recovery)
/// finalises a multicast without the proposal of a destination that died, so a replica that never received it may
/// have delivered a later write before it — the survivors' order is the group's, and a manager whose view still
/// holds the dead replica waits for the view that drops it. When no destination still in the view reported, the
/// outcome is Unknown: a departed replica's report is never used, since a destination that outlived it may have
/// delivered the write elsewhere in the order before dying unreported (seeds 19846 and 204144 acknowledged a write one
/// place early on the report of a replica that had died first).
/// A pure state machine with pooled entries; <typeparamref name="TTag"/> is the adapter's own record of the write
/// (who asked, under which client id and seq).
/// </summary>
internal sealed class WriteTable<TTag>(IWriteTableOutput<TTag> output)
{
    private readonly Dictionary<long, Entry> _writes = [];
    private readonly Stack<Entry> _pool = new();
    private readonly List<long> _scratch = [];

    /// <summary>Groups whose writes complete no sooner than their replicas confirmed the manager's view (<see cref="Hold"/>).</summary>
    private readonly HashSet<int> _held = [];

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
            if (d.Node != node || d.Incarnation != incarnation) continue;
            d.Done = true;
            if (report.Status != DeliveryStatus.InSnapshot) (d.HasReport, d.Report) = (true, report);
        }
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
                if (d.Left || view.Contains(d.Node, d.Incarnation)) continue;
                d.Left = d.Done = changed = true;
            }
            if (changed) _scratch.Add(seq);
        }
        foreach (long seq in _scratch)
            if (_writes.TryGetValue(seq, out Entry? e)) TryComplete(seq, e);
    }

    /// <summary>
    /// No write of <paramref name="group"/> completes until <see cref="Release"/>: the manager's view changed the group's
    /// replicas and they have not all confirmed they installed it. Until then a view that dropped a destination may be a
    /// deposed coordinator's, whose successor keeps that replica and lets it serve reads without the write.
    /// </summary>
    public void Hold(int group) => _held.Add(group);

    /// <summary>The group's replicas confirmed the view: its writes that are final and settled complete now.</summary>
    public void Release(int group)
    {
        if (!_held.Remove(group)) return;
        _scratch.Clear();
        foreach ((long seq, Entry e) in _writes)
            if (e.Group == group) _scratch.Add(seq);
        foreach (long seq in _scratch)
            if (_writes.TryGetValue(seq, out Entry? e)) TryComplete(seq, e);
    }

    /// <summary>
    /// Completes the write once it is final and settled and the destinations still in the view that reported agree.
    /// When they disagree, one of them is a replica that has died (or been excluded) without this manager's view
    /// knowing yet: the write waits for the view that drops it (<see cref="Settle"/> looks again).
    /// </summary>
    private void TryComplete(long seq, Entry e)
    {
        if (!e.Final || !e.Settled || (_held.Count > 0 && _held.Contains(e.Group))) return;
        int chosen = -1;
        for (int i = 0; i < e.DestinationCount; i++)
        {
            ref Destination d = ref e.Destinations[i];
            if (!d.HasReport || d.Left) continue;
            if (chosen < 0) chosen = i;
            else if (!Same(e.Destinations[chosen].Report, d.Report))
            {
                if (!e.Disputed)
                {
                    e.Disputed = true;
                    Divergences++;
                    output.Diverged(e.Group, e.Destinations[chosen].Report, d.Report);
                }
                return;
            }
        }
        _writes.Remove(seq);
        CompletedCount++;
        WriteResult result = chosen < 0 ? new WriteResult(WriteOutcome.Unknown, 0, 0)
            : e.Destinations[chosen].Report is { Status: DeliveryStatus.Applied } r ? new WriteResult(WriteOutcome.Applied, r.Value, r.Position)
            : new WriteResult(WriteOutcome.Refused, e.Destinations[chosen].Report.Value, 0);
        TTag tag = e.Tag;
        int group = e.Group;
        Recycle(e);
        output.Completed(tag, group, result);
    }

    private static bool Same(in DeliveryReport a, in DeliveryReport b) => a.Status == b.Status && a.Value == b.Value && a.Position == b.Position;

    private void Recycle(Entry e)
    {
        e.Tag = default!;
        e.Final = e.Disputed = false;
        e.DestinationCount = 0;
        _pool.Push(e);
    }

    private sealed class Entry
    {
        public TTag Tag = default!;
        public int Group;
        public bool Final;

        /// <summary>Destinations in the view reported different results; counted once as a divergence.</summary>
        public bool Disputed;
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

        /// <summary>Reported its delivery, or left the view.</summary>
        public bool Done;

        /// <summary>Left the view while the write was in flight.</summary>
        public bool Left;

        public bool HasReport;
        public DeliveryReport Report;
    }
}
