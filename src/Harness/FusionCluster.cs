using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>
/// A fusion cluster of real processes: n primaries and f backups started from one cluster file, each of which can
/// be killed with SIGKILL and started again under the same id. "Healthy" means usable for recovery: a primary has
/// printed its ready line (it serves its rebuilt list); a backup has too and holds every primary again.
/// Disposing kills every process and removes the work folder it created.
/// </summary>
internal sealed class FusionCluster : ProcessCluster
{
    private FusionCluster(ClusterConfig config, FusionClusterOptions options)
        : base(config, options, "bitfusion-", c => c.Primaries.Concat(c.Backups))
    {
        Primaries = Cluster.Primaries.Select(n => Node(n.Id)).ToArray();
        Backups = Cluster.Backups.Select(n => Node(n.Id)).ToArray();
    }

    public IReadOnlyList<NodeProcess> Primaries { get; }

    public IReadOnlyList<NodeProcess> Backups { get; }

    public override IEnumerable<NodeProcess> Nodes => Primaries.Concat(Backups);

    /// <summary>Writes the cluster file, starts every node and waits until all are healthy.</summary>
    public static async Task<FusionCluster> StartAsync(ClusterConfig config, FusionClusterOptions options, CancellationToken cancellation = default)
    {
        var cluster = new FusionCluster(config, options);
        try
        {
            await cluster.StartAsync(cluster.Nodes, cancellation).ConfigureAwait(false);
            return cluster;
        }
        catch (Exception e)
        {
            string nodes = cluster.Describe();
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw new ChildProcessException($"The cluster did not come up: {e.Message}\n{nodes}");
        }
    }

    /// <summary>Starts the nodes together and waits until each is healthy; returns their ready lines in order.</summary>
    public async Task<ReadyLine[]> StartAsync(IEnumerable<NodeProcess> nodes, CancellationToken cancellation = default)
    {
        NodeProcess[] starting = nodes.ToArray();
        ReadyLine[] lines = await Task.WhenAll(starting.Select(n => n.StartAsync(Options.StartTimeout, cancellation))).ConfigureAwait(false);
        await Task.WhenAll(starting.Select(n => WaitHealthyAsync(n, cancellation))).ConfigureAwait(false);
        return lines;
    }

    /// <summary>Returns once a started node can take part in a recovery: for a backup, once it holds every primary.</summary>
    public async Task WaitHealthyAsync(NodeProcess node, CancellationToken cancellation = default)
    {
        if (node.Role != "backup") return;
        await BackupProbe.WaitCompleteAsync(EndPointOf(node.Id), Key, (ushort)node.Id, (ushort)Cluster.Primaries[0].Id, Options.StartTimeout, cancellation).ConfigureAwait(false);
    }
}
