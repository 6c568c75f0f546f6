using System.Net;
using System.Text;
using BitFusion.Harness.Faults;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Harness;

/// <summary>
/// What every cluster of real processes shares: a work folder holding the cluster file and one log per node, one
/// <see cref="NodeProcess"/> per node (killed with SIGKILL, restarted under the same id), failure descriptions, and
/// disposal that kills every process and removes the folder it created.
/// </summary>
internal abstract class ProcessCluster : IAsyncDisposable
{
    private readonly bool _ownsWorkDirectory;
    private readonly Dictionary<int, NodeProcess> _nodes;

    private protected ProcessCluster(ClusterConfig config, FusionClusterOptions options, string folderPrefix, Func<Cluster, IEnumerable<NodeConfig>> members)
    {
        Options = options;
        _ownsWorkDirectory = options.WorkDirectory is null;
        WorkDirectory = options.WorkDirectory ?? Directory.CreateTempSubdirectory(folderPrefix).FullName;
        Directory.CreateDirectory(WorkDirectory);
        ConfigPath = Path.Combine(WorkDirectory, "cluster.json");
        if (options.Tls && config.Tls is null) config.Tls = TlsIssuer.Issue(config, Path.Combine(WorkDirectory, "tls"), clients: 1);
        Cluster = ClusterFile.Write(config, ConfigPath);
        NodeConfig[] nodes = members(Cluster).ToArray();
        if (options.FaultProxies) Proxies = new ProxyMesh(nodes);
        _nodes = nodes.ToDictionary(n => n.Id, n => new NodeProcess(options.Binary, n, Proxies is null ? ConfigPath : ClusterFile.WriteRouted(Proxies, ConfigPath, n.Id),
            options.Namespace(n), new LineTail(options.LogLines, Path.Combine(WorkDirectory, $"{n.Role}-{n.Id}.log"))) { Arguments = options.Arguments(n) });
    }

    /// <summary>The proxies every node-to-node connection passes, when the options asked for them.</summary>
    public ProxyMesh? Proxies { get; }

    private protected FusionClusterOptions Options { get; }

    public Cluster Cluster { get; }

    public ClusterKey Key => Cluster.Key;

    public int Faults => Cluster.Faults;

    public string WorkDirectory { get; }

    /// <summary>Keep the work folder (cluster file, full node logs) after disposal, e.g. because a test failed.</summary>
    public bool KeepWorkDirectory { get; set; }

    public string ConfigPath { get; }

    public abstract IEnumerable<NodeProcess> Nodes { get; }

    public NodeProcess Node(int id) => _nodes.TryGetValue(id, out NodeProcess? node) ? node : throw new ArgumentException($"No node {id} in this cluster.", nameof(id));

    public EndPoint EndPointOf(int id) => Options.Reach(Node(id).Node);

    /// <summary>Who a dialer expects at node <paramref name="id"/>: its role and id, which the handshake checks.</summary>
    public PeerIdentity IdentityOf(int id) => Cluster.IdentityOf(Node(id).Node);

    /// <summary>Kills the nodes as nearly at once as possible (all signals first), then waits until every one is gone.</summary>
    public async Task KillAsync(IEnumerable<NodeProcess> nodes)
    {
        NodeProcess[] victims = nodes.ToArray();
        foreach (NodeProcess node in victims) node.Kill();
        await Task.WhenAll(victims.Select(n => n.KillAsync())).ConfigureAwait(false);
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
        if (Proxies is not null) await Proxies.DisposeAsync().ConfigureAwait(false);
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
        GC.SuppressFinalize(this);
    }
}
