using System.Diagnostics;
using BitFusion.Harness.Faults;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Bench;

/// <summary>
/// A backup that goes silent (its link to the primary blackholed both ways through a fault proxy, as a SIGSTOP or a
/// half-open connection looks from the primary) while one client appends one write at a time: how long the primary
/// takes to suspect it, and the latency of the writes issued from the fault to a second after the suspicion —
/// acknowledged by the remaining backups (minAckBackups &lt; f) or refused as not done (minAckBackups = f).
/// </summary>
internal static class SuspicionBench
{
    public sealed record Result(int Faults, int MinAckBackups, int SuspectAfterMs, double DetectionMs, LatencyStats During, int Acknowledged, int Refused);

    public static async Task<Result> RunAsync(int faults, int minAckBackups, int heartbeatMs, int suspectAfterMs, CancellationToken cancellation)
    {
        ClusterConfig config = ClusterLayout.Build(1, faults, 0, 0, "127.0.0.1", 0);
        config.HeartbeatMs = heartbeatMs;
        config.SuspectAfterMs = suspectAfterMs;
        config.MinAckBackups = minAckBackups;
        var cluster = Cluster.FromConfig(config);
        var backups = cluster.Backups.Select(b => new BackupNode(cluster, b.Id)).ToList();
        foreach (BackupNode b in backups) b.Start();
        NodeConfig silent = cluster.Backups[^1];
        await using var proxy = new FaultProxy(Cluster.EndPointOf(silent), "primary → silent backup");
        proxy.Start();
        // The primary alone reaches the silent backup through the proxy.
        ClusterConfig routed = ClusterConfigCopy(config, silent.Id, proxy.Port);
        NodeConfig me = cluster.Primaries[0];
        PrimaryNode? primary = null;
        try
        {
            primary = await PrimaryNode.StartAsync(Cluster.FromConfig(routed), me.Id, Cluster.BindEndPointOf(me), cancellation);
            using BitListClient client = await BitListClient.ConnectAsync(Cluster.EndPointOf(me), cluster.Key, Cluster.IdentityOf(me), 1000,
                cancellation: cancellation);
            for (int i = 0; i < 200; i++) await client.AppendAsync(true);
            int suspicionsBefore = primary.List.Suspicions;
            var during = new List<double>();
            int acknowledged = 0, refused = 0;
            long fault = Stopwatch.GetTimestamp();
            proxy.Blackhole(Direction.ToListener);
            proxy.Blackhole(Direction.ToDialer);
            // Detection is watched beside the writes, so waiting on a write measures the write alone.
            double detection = double.NaN;
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            Task watch = Task.Run(async () =>
            {
                while (primary.List.Suspicions == suspicionsBefore) await Task.Delay(1, watching.Token);
                Volatile.Write(ref detection, Stopwatch.GetElapsedTime(fault).TotalMilliseconds);
            }, watching.Token);
            while (double.IsNaN(Volatile.Read(ref detection)) || Stopwatch.GetElapsedTime(fault).TotalMilliseconds < Volatile.Read(ref detection) + 1000)
            {
                long started = Stopwatch.GetTimestamp();
                try
                {
                    await client.AppendAsync(false);
                    acknowledged++;
                }
                catch (RemoteException e) when (e.Code is ErrorCode.NotDone or ErrorCode.Unknown)
                {
                    refused++;
                }
                during.Add(Ticks.MicrosSince(started));
            }
            await watch;
            return new Result(faults, minAckBackups, suspectAfterMs, detection, LatencyStats.FromMicros(during.ToArray()), acknowledged, refused);
        }
        finally
        {
            proxy.Heal();
            primary?.Dispose();
            foreach (BackupNode b in backups) b.Dispose();
        }
    }

    private static ClusterConfig ClusterConfigCopy(ClusterConfig config, int node, int port) => new()
    {
        Faults = config.Faults,
        ClusterKey = config.ClusterKey,
        MaxFrameBytes = config.MaxFrameBytes,
        Window = config.Window,
        HeartbeatMs = config.HeartbeatMs,
        SuspectAfterMs = config.SuspectAfterMs,
        MinAckBackups = config.MinAckBackups,
        Nodes = config.Nodes.Select(n => new NodeConfig { Id = n.Id, Role = n.Role, Host = n.Host, Port = n.Id == node ? port : n.Port, Group = n.Group }).ToList(),
    };
}
