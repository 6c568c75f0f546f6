using System.Net;
using System.Text;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Harness;

/// <summary>
/// A replication cluster of real processes: managers and g groups of f + 1 data nodes started from one cluster
/// file, each of which can be killed with SIGKILL and started again under the same id. A data node is healthy once
/// it has printed its ready line (it serves: a founding member, or a rejoined one with its state transferred); a
/// manager once it has printed its own (a view admits it as a sender). The first start brings every process up at
/// once: the cluster boots only when every data node and manager of the file is there.
/// Disposing kills every process and removes the work folder it created.
/// </summary>
public sealed class ReplicationCluster : IAsyncDisposable
{
    private readonly FusionClusterOptions _options;
    private readonly bool _ownsWorkDirectory;
    private readonly Dictionary<int, NodeProcess> _nodes;

    private ReplicationCluster(ClusterConfig config, FusionClusterOptions options)
    {
        _options = options;
        _ownsWorkDirectory = options.WorkDirectory is null;
        WorkDirectory = options.WorkDirectory ?? Directory.CreateTempSubdirectory("bitfusion-ar-").FullName;
        Directory.CreateDirectory(WorkDirectory);
        ConfigPath = Path.Combine(WorkDirectory, "cluster.json");
        Cluster = ClusterFile.Write(config, ConfigPath);
        _nodes = Cluster.Managers.Concat(Cluster.DataNodes).ToDictionary(n => n.Id, n => new NodeProcess(options.Binary, n, ConfigPath,
            options.Namespace(n), new LineTail(options.LogLines, Path.Combine(WorkDirectory, $"{n.Role}-{n.Id}.log"))));
        Managers = Cluster.Managers.Select(n => _nodes[n.Id]).ToArray();
        DataNodes = Cluster.DataNodes.Select(n => _nodes[n.Id]).ToArray();
        Groups = Cluster.Groups.Select(g => (IReadOnlyList<NodeProcess>)g.Select(n => _nodes[n.Id]).ToArray()).ToArray();
    }

    public Cluster Cluster { get; }

    public ClusterKey Key => Cluster.Key;

    public int Faults => Cluster.Faults;

    public string WorkDirectory { get; }

    /// <summary>Keep the work folder (cluster file, full node logs) after disposal, e.g. because a test failed.</summary>
    public bool KeepWorkDirectory { get; set; }

    public string ConfigPath { get; }

    public IReadOnlyList<NodeProcess> Managers { get; }

    public IReadOnlyList<NodeProcess> DataNodes { get; }

    /// <summary>The data nodes of each group, by group number.</summary>
    public IReadOnlyList<IReadOnlyList<NodeProcess>> Groups { get; }

    public IEnumerable<NodeProcess> Nodes => Managers.Concat(DataNodes);

    public NodeProcess Node(int id) => _nodes.TryGetValue(id, out NodeProcess? node) ? node : throw new ArgumentException($"No node {id} in this cluster.", nameof(id));

    public EndPoint EndPointOf(int id) => _options.Reach(Node(id).Node);

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

    /// <summary>Kills the nodes as nearly at once as possible (all signals first), then waits until every one is gone.</summary>
    public async Task KillAsync(IEnumerable<NodeProcess> nodes)
    {
        NodeProcess[] victims = nodes.ToArray();
        foreach (NodeProcess node in victims) node.Kill();
        await Task.WhenAll(victims.Select(n => n.KillAsync())).ConfigureAwait(false);
    }

    /// <summary>Starts the nodes together and waits for each one's ready line (it serves); returns them in order.</summary>
    public Task<ReadyLine[]> StartAsync(IEnumerable<NodeProcess> nodes, CancellationToken cancellation = default) =>
        Task.WhenAll(nodes.Select(n => n.StartAsync(_options.StartTimeout, cancellation)));

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
