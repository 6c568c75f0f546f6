using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>
/// A whole replication cluster inside this process, on loopback sockets: managers and g groups of f + 1 data
/// nodes. Crashing a data node here means dropping it with its sockets and starting a fresh one with the same id,
/// which rejoins exactly as a restarted process does (the crash tests use real processes and SIGKILL).
/// </summary>
internal sealed class InProcessReplication : IAsyncDisposable
{
    private readonly List<ManagerNode> _managers = [];
    private readonly Dictionary<int, DataNode> _dataNodes = [];

    private InProcessReplication(Cluster cluster) => Cluster = cluster;

    public Cluster Cluster { get; }

    public IReadOnlyList<ManagerNode> Managers => _managers;

    public static async Task<InProcessReplication> StartAsync(int groups, int faults, int managers, int window, CancellationToken cancellation)
    {
        ClusterConfig config = ClusterLayout.Build(0, faults, groups, managers, "127.0.0.1", 0);
        config.Window = window;
        var cluster = new InProcessReplication(Cluster.FromConfig(config));
        foreach (NodeConfig d in cluster.Cluster.DataNodes) cluster.StartDataNode(d.Id);
        foreach (NodeConfig m in cluster.Cluster.Managers)
        {
            var node = new ManagerNode(cluster.Cluster, m.Id);
            node.Start();
            cluster._managers.Add(node);
        }
        await Task.WhenAll(cluster._managers.Select(m => m.Serving)).WaitAsync(TimeSpan.FromSeconds(30), cancellation);
        await Task.WhenAll(cluster._dataNodes.Values.Select(d => d.Serving)).WaitAsync(TimeSpan.FromSeconds(30), cancellation);
        return cluster;
    }

    public DataNode StartDataNode(int id)
    {
        var node = new DataNode(Cluster, id);
        node.Start();
        _dataNodes[id] = node;
        return node;
    }

    public DataNode DataNode(int id) => _dataNodes[id];

    public void CrashDataNode(int id)
    {
        if (_dataNodes.Remove(id, out DataNode? node)) node.Dispose();
    }

    public Task<BitListClient> ClientAsync(int group, int manager, ushort clientId, CancellationToken cancellation) =>
        BitListClient.ConnectAsync(Cluster.EndPointOf(Cluster.Managers[manager]), Cluster.Key, Cluster.IdentityOf(Cluster.Managers[manager]), clientId, group,
            cancellation: cancellation);

    /// <summary>Data nodes first: a manager dropped while it dials would leave a half-open handshake behind (and a warning).</summary>
    public ValueTask DisposeAsync()
    {
        foreach (DataNode d in _dataNodes.Values) d.Dispose();
        foreach (ManagerNode m in _managers) m.Dispose();
        return ValueTask.CompletedTask;
    }
}
