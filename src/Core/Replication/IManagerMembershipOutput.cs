using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>
/// Effects of a <see cref="ManagerMembership"/>. Nodes are addressed by their node id in the cluster file; the
/// adapter sends on its current connection to that node, or drops the message when there is none (the machine
/// resends what matters when the connection comes back). Implementations must not call back into the machine.
/// </summary>
internal interface IManagerMembershipOutput
{
    /// <summary>Say who this manager is (sender id, or −1 while not admitted; life; with the view for a manager).</summary>
    void SendHello(int node, bool toManager, int sender, ClusterView? view);

    /// <summary>A view change to another manager (managers pass views to their data nodes themselves).</summary>
    void SendView(int manager, ClusterView view);

    /// <summary>
    /// Send <paramref name="view"/> to data node <paramref name="node"/> although the view does not admit the life on
    /// that connection: that life was excluded (taken for dead) and must learn it, stop serving and start over.
    /// </summary>
    void Fence(int node, ClusterView view);

    void SendQuery(int node, bool toManager, ulong queryId, int[] deadSenders);

    void SendVerdicts(int node, RecoveryDecision decision);

    /// <summary>
    /// Data node <paramref name="node"/> refused a view this manager installed and sent it: what followed on that
    /// connection may have been dropped. The adapter sends no multicast on the link until it syncs it again (the
    /// installed view, then Skeen's resend): <paramref name="now"/> when the refused view is older than the installed
    /// one (the node may take that one, sent after it), else with the next view it installs (the node refused this one).
    /// </summary>
    void SyncAgain(int node, bool now);

    /// <summary>
    /// This manager installed <paramref name="view"/>. <paramref name="admittedAs"/> is its new sender id when this view
    /// admits it for the first time, else −1. The adapter switches Skeen's sender and its node links.
    /// </summary>
    void Installed(ClusterView view, int admittedAs);

    /// <summary>
    /// Writes to <paramref name="group"/> complete only while it is not held (<see cref="ManagerWrites{TClient,TPayload}.Hold"/>):
    /// held from the installed view that changed the group's replicas until each of them confirmed it. A hold comes before
    /// the <see cref="Installed"/> that needs it.
    /// </summary>
    void HoldWrites(int group, bool hold);

    /// <summary>A view no longer lists this manager's sender: it must stop.</summary>
    void Excluded(string reason);

    /// <summary>Call <see cref="ManagerMembership.Tick"/> at <paramref name="time"/> (<see cref="long.MaxValue"/>: nothing to do).</summary>
    void Wake(long time);

    void Log(string message, bool warning);
}
