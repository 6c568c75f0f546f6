using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>
/// A replication cluster of real processes: managers and g groups of f + 1 data nodes started from one cluster
/// file, each of which can be killed with SIGKILL and started again under the same id. A data node is healthy once
/// it has printed its ready line (it serves: a founding member, or a rejoined one with its state transferred); a
/// manager once it has printed its own (a view admits it as a sender). The first start brings every process up at
/// once: the cluster boots only when every data node and manager of the file is there.
/// Disposing kills every process and removes the work folder it created.
/// </summary>
internal sealed class ReplicationCluster : ProcessCluster
{
    private ReplicationCluster(ClusterConfig config, FusionClusterOptions options)
        : base(config, options, "bitfusion-ar-", c => c.Managers.Concat(c.DataNodes))
    {
        Managers = Cluster.Managers.Select(n => Node(n.Id)).ToArray();
        DataNodes = Cluster.DataNodes.Select(n => Node(n.Id)).ToArray();
        Groups = Cluster.Groups.Select(g => (IReadOnlyList<NodeProcess>)g.Select(n => Node(n.Id)).ToArray()).ToArray();
    }

    public IReadOnlyList<NodeProcess> Managers { get; }

    public IReadOnlyList<NodeProcess> DataNodes { get; }

    /// <summary>The data nodes of each group, by group number.</summary>
    public IReadOnlyList<IReadOnlyList<NodeProcess>> Groups { get; }

    public override IEnumerable<NodeProcess> Nodes => Managers.Concat(DataNodes);

    /// <summary>Writes the cluster file, starts every node at once and waits until all are healthy.</summary>
    public static async Task<ReplicationCluster> StartAsync(ClusterConfig config, FusionClusterOptions options, CancellationToken cancellation = default)
    {
        var cluster = new ReplicationCluster(config, options);
        try
        {
            await cluster.StartAsync(cluster.Nodes, cancellation).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the nodes together and waits for each one's ready line (it serves); returns them in order.</summary>
    public Task<ReadyLine[]> StartAsync(IEnumerable<NodeProcess> nodes, CancellationToken cancellation = default) =>
        Task.WhenAll(nodes.Select(n => n.StartAsync(Options.StartTimeout, cancellation)));
}
