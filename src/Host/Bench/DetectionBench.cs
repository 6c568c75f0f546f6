using System.Collections.Concurrent;
using System.Diagnostics;
using BitFusion.Core.Replication;
using BitFusion.Harness;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Config;

namespace BitFusion.Host.Bench;

/// <summary>
/// What a paused data node costs: real processes (this binary), one manager and one group of two data nodes, a client
/// keeping `window` appends in flight. One replica is frozen with SIGSTOP; no write started after that can complete
/// until the manager has suspected the node (silent for suspectAfterMs) and excluded it. Detection time = from the
/// SIGSTOP to the completion of the first write started after it; the stall = the latencies of the writes started
/// in that interval. The node is then resumed, learns its exclusion and rejoins before the next pause.
/// </summary>
internal static class DetectionBench
{
    public sealed record Result(int SuspectAfterMs, int HeartbeatMs, LatencyStats Detection, LatencyStats Stalled, LatencyStats Normal);

    public static async Task<Result> RunAsync(int pauses, int suspectAfterMs, int window, CancellationToken cancellation)
    {
        ClusterConfig config = ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0);
        config.SuspectAfterMs = suspectAfterMs;
        config.HeartbeatMs = Math.Max(10, suspectAfterMs / 5);
        await using ReplicationCluster cluster = await ReplicationCluster.StartAsync(config,
            new FusionClusterOptions { Binary = Environment.ProcessPath ?? throw new InvalidOperationException("no path to this binary") }, cancellation);
        NodeProcess manager = cluster.Managers[0];
        using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 1000,
            group: 0, cancellation: cancellation, timeout: TimeSpan.FromSeconds(60));
        var writes = new ConcurrentQueue<(long Start, long End)>();
        using var stop = new CancellationTokenSource();
        Task[] writers = Enumerable.Range(0, window).Select(_ => WriteAsync(client, writes, stop.Token)).ToArray();
        var detections = new List<double>();
        var stalled = new List<double>();
        var normal = new List<double>();
        try
        {
            NodeProcess victim = cluster.Groups[0][1];
            for (int p = 0; p < pauses; p++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(500, suspectAfterMs)), cancellation);
                long paused = Stopwatch.GetTimestamp();
                victim.Suspend();
                double detection;
                while ((detection = FirstCompletionAfter(writes, paused)) < 0) await Task.Delay(5, cancellation);
                victim.Resume();
                detections.Add(detection);
                long detected = paused + (long)(detection * Stopwatch.Frequency / 1e6);
                foreach ((long start, long end) in writes)
                {
                    if (start >= paused && start <= detected) stalled.Add(Ticks.ToMicros(end - start));
                    else if (start < paused) normal.Add(Ticks.ToMicros(end - start));
                }
                writes.Clear();
                await WaitRejoinedAsync(cluster, victim, cancellation);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }
        return new Result(suspectAfterMs, config.HeartbeatMs, LatencyStats.FromMicros(detections.ToArray()),
            LatencyStats.FromMicros(stalled.ToArray()), LatencyStats.FromMicros(normal.ToArray()));
    }

    /// <summary>Microseconds from <paramref name="paused"/> to the completion of the first write started after it, or −1.</summary>
    private static double FirstCompletionAfter(ConcurrentQueue<(long Start, long End)> writes, long paused)
    {
        long first = long.MaxValue;
        foreach ((long start, long end) in writes)
            if (start >= paused) first = Math.Min(first, end);
        return first == long.MaxValue ? -1 : Ticks.ToMicros(first - paused);
    }

    private static async Task WriteAsync(BitListClient client, ConcurrentQueue<(long, long)> writes, CancellationToken stop)
    {
        var random = new Random();
        while (!stop.IsCancellationRequested)
        {
            long start = Stopwatch.GetTimestamp();
            await client.AppendAsync(random.Next(2) == 1);
            writes.Enqueue((start, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>The resumed node learns it was excluded, starts over and rejoins: wait until a new incarnation of it serves.</summary>
    private static async Task WaitRejoinedAsync(ReplicationCluster cluster, NodeProcess node, CancellationToken cancellation)
    {
        long before = -1;
        for (int attempt = 0; attempt < 1200; attempt++)
        {
            DataNodeStats s = await ReplicationProbe.DataNodeAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, cancellation);
            if (before < 0) before = s.Incarnation;
            if ((NodePhase)s.Phase == NodePhase.Serving && s.Incarnation > before) return;
            await Task.Delay(50, cancellation);
        }
        throw new TimeoutException($"{node} did not rejoin within a minute of its resume");
    }
}
