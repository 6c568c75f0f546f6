namespace BitFusion.Core.Replication;

/// <summary>
/// A manager that finds every lower sender dead asks every live member of its view (data nodes and managers) for
/// the newest view it holds, answered only once nothing more can arrive from the dead senders. The newest answer
/// is the last view the old coordinator got out to anyone alive; the new coordinator continues from it, so two
/// different views never share an epoch.
/// </summary>
internal sealed class TakeoverQuery(ulong id, int[] deadSenders)
{
    public ulong Id { get; } = id;

    public int[] DeadSenders { get; } = deadSenders;

    /// <summary>Node ids (data nodes and managers) still to answer.</summary>
    public HashSet<int> Awaiting { get; } = [];

    /// <summary>Node ids the query went out to on their current connection.</summary>
    public HashSet<int> Asked { get; } = [];

    public ClusterView? Newest { get; private set; }

    public void Offer(ClusterView? view)
    {
        if (view is not null && view.Supersedes(Newest)) Newest = view;
    }
}
