namespace BitFusion.Core.Replication;

/// <summary>
/// A manager's reads, as a pure state machine: each client read goes to one serving replica of its group (round
/// robin), and to another when that one answers "not ready" or goes away, at most <see cref="MaxAttempts"/> times.
/// A write is acknowledged only once every replica in the view has delivered it, and a replica serves only once it
/// has caught up, so whichever replica answers, it holds every write acknowledged before the read arrived.
/// <typeparamref name="TRead"/> is the adapter's request (client, request id, what to read); the relay only carries it.
/// Not thread-safe: the adapter calls it under its lock.
/// </summary>
internal sealed class ReadRelay<TRead>(IReadRelayOutput<TRead> output)
{
    public const int MaxAttempts = 4;

    private readonly Dictionary<ulong, Entry> _reads = [];
    private readonly Dictionary<int, int> _nextReader = [];
    private readonly List<ulong> _scratch = [];
    private ulong _nextId;

    /// <summary>Reads sent to a replica and not answered yet.</summary>
    public int Count => _reads.Count;

    /// <summary>A client's read of <paramref name="group"/>, under the manager's current <paramref name="view"/>.</summary>
    public void Request(TRead read, int group, ClusterView? view) => Dispatch(new Entry(read, group, 0, 0), view);

    /// <summary>
    /// Replica <paramref name="node"/> answered read <paramref name="readId"/>. Returns true with the read when the
    /// answer goes to its client (the adapter forwards it and releases the read); false when the id is unknown or
    /// not this node's, or when the replica was not ready and the read went on to another one.
    /// </summary>
    public bool Answered(int node, ulong readId, bool notReady, ClusterView? view, out TRead read)
    {
        read = default!;
        if (!_reads.TryGetValue(readId, out Entry e) || e.Node != node) return false;
        _reads.Remove(readId);
        if (notReady)
        {
            Dispatch(e, view);
            return false;
        }
        read = e.Read;
        return true;
    }

    /// <summary>Replica <paramref name="node"/> went away or started over: its reads go to another replica.</summary>
    public void NodeGone(int node, ClusterView? view)
    {
        _scratch.Clear();
        foreach ((ulong id, Entry e) in _reads)
            if (e.Node == node) _scratch.Add(id);
        foreach (ulong id in _scratch)
            if (_reads.Remove(id, out Entry e)) Dispatch(e, view);
    }

    private void Dispatch(Entry e, ClusterView? view)
    {
        if (view is not null && e.Attempts < MaxAttempts)
        {
            ReadOnlySpan<Abcast.ViewMember> members = view.Skeen.MembersOf(e.Group);
            int next = _nextReader.GetValueOrDefault(e.Group);
            for (int k = 0; k < members.Length; k++)
            {
                int node = members[(next + k) % members.Length].Node;
                if (!output.CanServe(node)) continue;
                _nextReader[e.Group] = (next + k + 1) % members.Length;
                ulong id = ++_nextId;
                _reads.Add(id, e with { Node = node, Attempts = e.Attempts + 1 });
                output.SendRead(node, id, e.Read);
                return;
            }
        }
        output.Refuse(e.Read, e.Group);
    }

    private readonly record struct Entry(TRead Read, int Group, int Node, int Attempts);
}
