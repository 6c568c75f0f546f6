using BitFusion.Net.Config;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// A manager's own connection to another manager. Views (from the coordinator) and view queries (from a new
/// coordinator) go out on it; its state is this manager's evidence of whether that manager lives. The other
/// manager's frames to this one arrive on the connection it dialed itself. Guarded by the manager's lock.
/// </summary>
internal sealed class PeerLink(ManagerNode owner, NodeConfig node) : IFrameHandler
{
    public int NodeId { get; } = node.Id;

    public NodeConfig Config { get; } = node;

    public Connection? Connection;

    public Task RunAsync(CancellationToken stop) =>
        Redial.RunAsync(Cluster.EndPointOf(Config), owner, Cluster.IdentityOf(Config), this, () => owner.OnPeerRefused(this), stop);

    public void OnOpen(Connection connection) => owner.OnPeerOpened(this, connection);

    public void OnFrame(Connection connection, in Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.ManagerHello:
            {
                (int sender, ulong life, ClusterView? view) = MembershipWire.ReadHello(frame);
                owner.OnPeerHello(this, connection, sender, life, view);
                break;
            }
            case MessageType.ViewReport:
            {
                (ulong id, ClusterView? view) = MembershipWire.ReadReport(frame);
                owner.OnViewReport(connection, id, view);
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a manager.");
        }
    }

    public void OnClose(Connection connection) => owner.OnPeerClosed(this, connection);
}
