using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>
/// A whole fusion cluster inside this process, on loopback sockets: the benchmarks' fixture. Crashing a primary
/// here means dropping it with its sockets and starting a fresh one with the same id, which recovers exactly as a
/// restarted process does (the crash tests and the experiment use real processes and SIGKILL).
/// </summary>
internal sealed class InProcessFusion : IAsyncDisposable
{
    private readonly List<BackupNode> _backups = [];
    private readonly PrimaryNode?[] _primaries;

    private readonly string? _tlsFolder;

    private InProcessFusion(Cluster cluster, string? tlsFolder)
    {
        Cluster = cluster;
        _tlsFolder = tlsFolder;
        _primaries = new PrimaryNode?[cluster.Primaries.Count];
    }

    public Cluster Cluster { get; }

    public PrimaryNode Primary(int index) => _primaries[index] ?? throw new InvalidOperationException($"primary {index} is down");

    /// <param name="tls">Every connection over mutual TLS, with certificates issued into a temporary folder.</param>
    /// <param name="maxSendQueueBytes">The cluster's <c>maxSendQueueBytes</c> (null: the default).</param>
    /// <param name="suspectAfterMs">The cluster's <c>suspectAfterMs</c> (null: the default).</param>
    public static async Task<InProcessFusion> StartAsync(int primaries, int faults, int window, CancellationToken cancellation, bool tls = false,
        long? maxSendQueueBytes = null, int? suspectAfterMs = null)
    {
        ClusterConfig config = ClusterLayout.Build(primaries, faults, 0, 0, "127.0.0.1", 0);
        config.Window = window;
        config.MaxSendQueueBytes = maxSendQueueBytes;
        if (suspectAfterMs is { } suspect) config.SuspectAfterMs = suspect;
        string? folder = tls ? Directory.CreateTempSubdirectory("bitfusion-bench-tls-").FullName : null;
        if (folder is not null) config.Tls = TlsIssuer.Issue(config, folder, clients: 1);
        var fusion = new InProcessFusion(Cluster.FromConfig(config), folder);
        foreach (NodeConfig b in fusion.Cluster.Backups)
        {
            var node = new BackupNode(fusion.Cluster, b.Id);
            node.Start();
            fusion._backups.Add(node);
        }
        await Task.WhenAll(Enumerable.Range(0, primaries).Select(i => fusion.StartPrimaryAsync(i, cancellation)));
        return fusion;
    }

    public async Task<RecoveryReport> StartPrimaryAsync(int index, CancellationToken cancellation)
    {
        PrimaryNode node = await PrimaryNode.StartAsync(Cluster, Cluster.Primaries[index].Id, cancellation: cancellation);
        _primaries[index] = node;
        return node.List.Recovery!;
    }

    public void CrashPrimary(int index)
    {
        _primaries[index]?.Dispose();
        _primaries[index] = null;
    }

    /// <param name="timeout">How long a request may wait (null: the client's default).</param>
    public Task<BitListClient> ClientAsync(int index, CancellationToken cancellation, TimeSpan? timeout = null) =>
        BitListClient.ConnectAsync(Cluster.EndPointOf(Cluster.Primaries[index]), Cluster.Key, Cluster.IdentityOf(Cluster.Primaries[index]), (ushort)(1000 + index),
            cancellation: cancellation, timeout: timeout);

    public ValueTask DisposeAsync()
    {
        foreach (PrimaryNode? p in _primaries) p?.Dispose();
        foreach (BackupNode b in _backups) b.Dispose();
        if (_tlsFolder is not null) Directory.Delete(_tlsFolder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
