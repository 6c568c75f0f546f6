using System.Net;
using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;
using BitFusion.Net.Config;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// A replication manager: serves clients' reads and writes for every group, multicasting writes to the group's
/// data nodes with Skeen's algorithm (many in flight, several managers at once), and takes part in membership —
/// the lowest live sender coordinates views, admits restarted data nodes with state from a live replica, and
/// settles the multicasts a dead manager left behind. Every state change happens under one lock, event by event;
/// nothing holds it across a multicast.
/// </summary>
internal sealed partial class ManagerNode : IFrameHandler, IDisposable
{
    private readonly object _gate = new();
    private readonly FrameServer _server;
    private readonly Dictionary<int, NodeLink> _nodes;
    private readonly Dictionary<int, PeerLink> _peers;
    private readonly Dictionary<Connection, int> _incoming = [];
    private readonly GroupStats[] _groups;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ulong _life = LifeId.New();
    private readonly FlushSet _flushes = new();
    private readonly ManagerMembership _membership;
    private readonly ReadRelay<PendingRead> _reads;
    private readonly Diagnostics.NodeGauges.WindowSource _metrics;

    public ManagerNode(Cluster cluster, int nodeId, IPEndPoint? bind = null)
    {
        NodeConfig me = cluster.Node(nodeId);
        if (me.Role != "manager") throw new ConfigException($"Node {nodeId} is a {me.Role}, not a manager.");
        if (cluster.Groups.Count == 0) throw new ConfigException("The configuration has no data nodes for a manager to serve.");
        if (cluster.Groups.Count > GroupSet.Capacity)
            throw new ConfigException($"The configuration has {cluster.Groups.Count} groups; a multicast addresses at most {GroupSet.Capacity}.");
        Cluster = cluster;
        NodeId = nodeId;
        Identity = new PeerIdentity(NodeRole.Manager, (ushort)nodeId);
        _nodes = cluster.DataNodes.ToDictionary(n => n.Id, n => new NodeLink(this, n));
        _peers = cluster.Managers.Where(m => m.Id != nodeId).ToDictionary(m => m.Id, m => new PeerLink(this, m));
        _groups = cluster.Groups.Select(_ => new GroupStats()).ToArray();
        _membership = new ManagerMembership(nodeId, _life, cluster.DataNodes.Select(n => (n.Id, n.Group!.Value)),
            [.. cluster.Managers.Select(m => m.Id)], cluster.Config.SuspectAfterMs, ReadLease.For(cluster.Config.SuspectAfterMs),
            new MembershipEffects(this));
        _reads = new ReadRelay<PendingRead>(new ReadEffects(this));
        _writes = new ManagerWrites<Connection, WriteOp>(cluster.Config.Window, Fusion.FusedBitList.DedupClients, new WriteEffects(this));
        _maxRunBits = (int)Math.Min(int.MaxValue - 64L, cluster.Config.MaxFrameBytes * 8L);
        _limits = ListLimits.Chunked(cluster.Config.MaxFrameBytes, cluster.Config.MaxListBits);
        _server = new FrameServer(bind ?? Cluster.BindEndPointOf(me), cluster.Key, Identity,
            cluster.Knows, this, cluster.Config.MaxFrameBytes,
            cluster.Config.HeartbeatMs, cluster.Config.MaxHandshakes, cluster.Config.MaxSendQueueBytes ?? 0);
        _metrics = Diagnostics.NodeGauges.AddWindow("replication", cluster.Config.Window, () => { lock (_gate) return _writes.InFlight; });
    }

    internal Cluster Cluster { get; }

    internal PeerIdentity Identity { get; }

    /// <summary>Protocol errors on the connections this manager dialed (its server counts the ones it accepted).</summary>
    internal NetCounters Counters { get; } = new();

    public int NodeId { get; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters ServerCounters => _server.Counters;

    /// <summary>Completes once a view admits this manager as a sender: it serves clients from then on.</summary>
    public Task Serving => _serving.Task;

    /// <summary>Raised once if a view excludes this manager (it was taken for dead); it must stop, and may restart as a new life.</summary>
    public event Action<string>? Excluded;

    /// <summary>This manager's sender id once admitted, else −1.</summary>
    public int SenderId
    {
        get
        {
            lock (_gate) return _membership.SenderId;
        }
    }

    public long Epoch
    {
        get
        {
            lock (_gate) return _membership.View?.Epoch ?? -1;
        }
    }

    public bool IsCoordinator
    {
        get
        {
            lock (_gate) return _membership.IsCoordinator;
        }
    }

    /// <summary>Starts listening and dialing every data node and every other manager; see <see cref="Serving"/>.</summary>
    public void Start()
    {
        _server.Start();
        foreach (NodeLink link in _nodes.Values) _ = link.RunAsync(_stop.Token);
        foreach (PeerLink link in _peers.Values) _ = link.RunAsync(_stop.Token);
        _ = SilenceWatch.RunAsync(WatchedConnections, Cluster.Config.HeartbeatMs, Cluster.Config.SuspectAfterMs, _stop.Token);
    }

    /// <summary>Connections to data nodes and managers: a peer silent on one of them is suspected (its connection closed).</summary>
    private List<Connection> WatchedConnections()
    {
        var watched = new List<Connection>();
        lock (_gate)
        {
            foreach (NodeLink link in _nodes.Values)
                if (link.Connection is { } c) watched.Add(c);
            foreach (PeerLink link in _peers.Values)
                if (link.Connection is { } c) watched.Add(c);
            watched.AddRange(_incoming.Keys);
        }
        return watched;
    }

    public static async Task<ManagerNode> StartAsync(Cluster cluster, int nodeId, IPEndPoint? bind = null, CancellationToken cancellation = default)
    {
        var node = new ManagerNode(cluster, nodeId, bind);
        node.Start();
        try
        {
            await node.Serving.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            node.Dispose();
            throw;
        }
        return node;
    }

    // ---- connections accepted: clients and other managers ----

    public void OnOpen(Connection connection)
    {
        if (connection.Peer.Role != NodeRole.Manager) return;
        lock (_gate)
        {
            _incoming[connection] = -1;
            MembershipWire.EnqueueHello(connection, _membership.SenderId, _life, _membership.View);
        }
        connection.Flush();
    }

    public void OnClose(Connection connection)
    {
        if (connection.Peer.Role != NodeRole.Manager) return;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (!_incoming.Remove(connection)) return;
            AnswerParkedQueriesLocked();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        if (connection.Peer.Role == NodeRole.Manager) OnPeerFrame(connection, frame);
        else OnClientFrame(connection, frame);
    }

    private void OnPeerFrame(Connection connection, in Frame frame)
    {
        FlushSet.Batch batch;
        switch (frame.Type)
        {
            case MessageType.ManagerHello:
            {
                (int sender, ulong _, ClusterView? view) = MembershipWire.ReadHello(frame);
                lock (_gate)
                {
                    if (_incoming.ContainsKey(connection))
                    {
                        _incoming[connection] = sender;
                        if (view is not null) _membership.ViewReceived(view);
                    }
                    batch = _flushes.Take();
                }
                break;
            }
            case MessageType.ViewChange:
            {
                ClusterView view = MembershipWire.ReadView(frame);
                lock (_gate)
                {
                    if (_incoming.ContainsKey(connection)) _membership.ViewReceived(view);
                    batch = _flushes.Take();
                }
                break;
            }
            case MessageType.ViewQuery:
            {
                (ulong id, int[] dead) = MembershipWire.ReadQuery(frame);
                lock (_gate)
                {
                    if (_incoming.ContainsKey(connection)) QueryLocked(connection, id, dead);
                    batch = _flushes.Take();
                }
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a manager.");
        }
        batch.Flush();
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _stop.Cancel();
        _server.Dispose();
        lock (_gate)
        {
            foreach (NodeLink link in _nodes.Values) link.Connection?.Close("manager shutting down");
            foreach (PeerLink link in _peers.Values) link.Connection?.Close("manager shutting down");
            foreach (Connection c in _incoming.Keys.ToArray()) c.Close("manager shutting down");
        }
    }
}
