using BitFusion.Core.Abcast;
using BitFusion.Net.Config;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// A manager's connection to one data node: Skeen's FIFO link (data, finals and markers out; proposals and
/// delivery reports back), the node's views, and relayed reads. Its fields are guarded by the manager's lock.
/// </summary>
internal sealed class NodeLink(ManagerNode owner, NodeConfig node) : IFrameHandler
{
    public int NodeId { get; } = node.Id;

    public int Group { get; } = node.Group!.Value;

    public NodeConfig Config { get; } = node;

    public Connection? Connection;

    /// <summary>
    /// The life this connection was brought up to date for (view sent, Skeen's resend done). Multicasts go out on
    /// the connection only while this is the life the installed view admits.
    /// </summary>
    public ulong SyncedLife;

    /// <summary>The incarnation of the member this link was synced for.</summary>
    public long Incarnation;

    /// <summary>Proposals and delivery reports of the current read batch; only the link's read loop touches it.</summary>
    private readonly List<NodeReport> _reports = [];

    public Task RunAsync(CancellationToken stop) =>
        Redial.RunAsync(Cluster.EndPointOf(Config), owner, Cluster.IdentityOf(Config), this, () => owner.OnNodeRefused(this), stop);

    public void OnOpen(Connection connection) => owner.OnNodeOpened(this, connection);

    public void OnFrame(Connection connection, in Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.AbcastPropose:
            {
                ProposalRun run = AbcastWire.ReadProposals(frame);
                for (int i = 0; i < run.Count; i++) _reports.Add(NodeReport.Of(run[i]));
                return;
            }
            case MessageType.AbcastDelivered:
            {
                DeliveredRun run = AbcastWire.ReadDelivered(frame);
                for (int i = 0; i < run.Count; i++) _reports.Add(NodeReport.Of(run[i]));
                return;
            }
        }
        // Any other frame comes after the reports before it on this connection.
        OnBatchEnd(connection);
        switch (frame.Type)
        {
            case MessageType.NodeStatus:
                owner.OnNodeStatus(this, connection, MembershipWire.ReadStatus(frame));
                break;
            case MessageType.OrphanReport:
                owner.OnOrphanReport(this, connection, OrphanWire.ReadReport(frame, NodeId));
                break;
            case MessageType.ViewReport:
            {
                (ulong id, ClusterView? view) = MembershipWire.ReadReport(frame);
                owner.OnViewReport(connection, id, view);
                break;
            }
            case MessageType.LeaseRequest:
            {
                (ulong life, long sentAt) = LeaseWire.Read(frame);
                owner.OnLeaseRequest(this, connection, life, sentAt);
                break;
            }
            case MessageType.Ok or MessageType.Error or MessageType.Bits:
                owner.OnReadReply(this, connection, frame);
                break;
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a data node.");
        }
    }

    public void OnBatchEnd(Connection connection)
    {
        if (_reports.Count == 0) return;
        try
        {
            owner.OnNodeReports(this, connection, _reports);
        }
        finally
        {
            _reports.Clear();
        }
    }

    public void OnClose(Connection connection)
    {
        _reports.Clear();
        owner.OnNodeClosed(this, connection);
    }
}
