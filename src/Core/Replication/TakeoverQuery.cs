namespace BitFusion.Core.Replication;

/// <summary>
/// A manager that finds every lower sender dead asks every live member of its view (data nodes and managers) for
/// the newest view it holds, answered only once nothing more can arrive from the dead senders. The newest answer
/// is the last view the old coordinator got out to anyone alive; the new coordinator continues from it, so two
/// different views never share an epoch. A data node's answer is also a promise: from then on it refuses every view
/// one of those dead senders sends it, and answers such a view with <see cref="Refused"/> (the deposed coordinator
/// exits on it). Without it a coordinator taken for dead (a pause) could still get its own view of that epoch installed
/// at a node that already answered, and the successor's view, keeping a sender the deposed one removed, would make every
/// such replica start over. Views the successor relays are installed even when a deposed sender decided them: they are
/// the ones it continues from.
/// </summary>
internal sealed class TakeoverQuery(ulong id, int[] deadSenders)
{
    /// <summary>The query id of a view report that refuses the view it carries: its coordinator was taken for dead by a successor.</summary>
    public const ulong Refused = ulong.MaxValue;

    /// <summary>
    /// The query id of a view report a data node sends every manager when it installs a view admitting it (and again on
    /// each manager's hello): the manager completes a write to a group whose replicas its view changed only once they all
    /// confirmed that view (<see cref="ManagerMembership"/>, "confirmed views").
    /// </summary>
    public const ulong Installed = ulong.MaxValue - 1;

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
