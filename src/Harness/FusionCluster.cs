using System.Net;
using System.Text;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Harness;

/// <summary>
/// A fusion cluster of real processes: n primaries and f backups started from one cluster file, each of which can
/// be killed with SIGKILL and started again under the same id. "Healthy" means usable for recovery: a primary has
/// printed its ready line (it serves its rebuilt list); a backup has too and holds every primary again.
/// Disposing kills every process and removes the work folder it created.
/// </summary>
public sealed class FusionCluster : IAsyncDisposable
{
    private readonly FusionClusterOptions _options;
    private readonly bool _ownsWorkDirectory;
    private readonly Dictionary<int, NodeProcess> _nodes;

    private FusionCluster(ClusterConfig config, FusionClusterOptions options)
    {
        _options = options;
        _ownsWorkDirectory = options.WorkDirectory is null;
        WorkDirectory = options.WorkDirectory ?? Directory.CreateTempSubdirectory("bitfusion-").FullName;
        Directory.CreateDirectory(WorkDirectory);
        ConfigPath = Path.Combine(WorkDirectory, "cluster.json");
        Cluster = ClusterFile.Write(config, ConfigPath);
        _nodes = Cluster.Primaries.Concat(Cluster.Backups).ToDictionary(n => n.Id, n => new NodeProcess(options.Binary, n, ConfigPath,
            options.Namespace(n), new LineTail(options.LogLines, Path.Combine(WorkDirectory, $"{n.Role}-{n.Id}.log"))));
        Primaries = Cluster.Primaries.Select(n => _nodes[n.Id]).ToArray();
        Backups = Cluster.Backups.Select(n => _nodes[n.Id]).ToArray();
    }

    public Cluster Cluster { get; }

    public ClusterKey Key => Cluster.Key;

    public int Faults => Cluster.Faults;

    public string WorkDirectory { get; }

    /// <summary>Keep the work folder (cluster file, full node logs) after disposal, e.g. because a test failed.</summary>
    public bool KeepWorkDirectory { get; set; }

    public string ConfigPath { get; }

    public IReadOnlyList<NodeProcess> Primaries { get; }

    public IReadOnlyList<NodeProcess> Backups { get; }

    public IEnumerable<NodeProcess> Nodes => Primaries.Concat(Backups);

    public NodeProcess Node(int id) => _nodes.TryGetValue(id, out NodeProcess? node) ? node : throw new ArgumentException($"No node {id} in this cluster.", nameof(id));

    public EndPoint EndPointOf(int id) => _options.Reach(Node(id).Node);

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

    /// <summary>Kills the nodes as nearly at once as possible (all signals first), then waits until every one is gone.</summary>
    public async Task KillAsync(IEnumerable<NodeProcess> nodes)
    {
        NodeProcess[] victims = nodes.ToArray();
        foreach (NodeProcess node in victims) node.Kill();
        await Task.WhenAll(victims.Select(n => n.KillAsync())).ConfigureAwait(false);
    }

    /// <summary>Starts the nodes together and waits until each is healthy; returns their ready lines in order.</summary>
    public async Task<ReadyLine[]> StartAsync(IEnumerable<NodeProcess> nodes, CancellationToken cancellation = default)
    {
        NodeProcess[] starting = nodes.ToArray();
        ReadyLine[] lines = await Task.WhenAll(starting.Select(n => n.StartAsync(_options.StartTimeout, cancellation))).ConfigureAwait(false);
        await Task.WhenAll(starting.Select(n => WaitHealthyAsync(n, cancellation))).ConfigureAwait(false);
        return lines;
    }

    /// <summary>Returns once a started node can take part in a recovery: for a backup, once it holds every primary.</summary>
    public async Task WaitHealthyAsync(NodeProcess node, CancellationToken cancellation = default)
    {
        if (node.Role != "backup") return;
        await BackupProbe.WaitCompleteAsync(EndPointOf(node.Id), Key, (ushort)Cluster.Primaries[0].Id, _options.StartTimeout, cancellation).ConfigureAwait(false);
    }

    /// <summary>Each node's last lines of output, for a failure message.</summary>
    public string Describe(int linesPerNode = 25)
    {
        var text = new StringBuilder();
        foreach (NodeProcess node in Nodes)
        {
            text.Append("---- ").Append(node).Append(node.IsRunning ? $" (pid {node.Pid})" : " (not running)")
                .Append(", started ").Append(node.Starts).Append(" times; log ").Append(node.Log.FilePath).Append(" ----\n");
            text.Append(node.Log.Text(linesPerNode)).Append('\n');
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Values.Select(n => n.DisposeAsync().AsTask())).ConfigureAwait(false);
        if (_ownsWorkDirectory && !KeepWorkDirectory)
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A log still being written by a dying child; the OS temp cleaner will take it.
            }
        }
    }
}
