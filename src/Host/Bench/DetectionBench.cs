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
/// keeping `window` appends in flight. One replica is frozen with SIGSTOP; no write started after that (2 ms after
/// kill() returned, for the signal to land) can complete until the manager has suspected the node (silent for
/// suspectAfterMs) and excluded it. Detection time = from then to the completion of the first write started after
/// it; the stall = the latencies of the writes in flight at any time in that interval. The node is then resumed, learns its exclusion and rejoins before the next pause.
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
                long incarnation = (await ProbeAsync(cluster, victim, cancellation)).Incarnation;
                victim.Suspend();
                // kill() returns once the signal is queued; a write that starts in the next instant may still be delivered.
                long paused = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 500;
                double detection;
                while ((detection = FirstCompletionAfter(writes, paused)) < 0) await Task.Delay(5, cancellation);
                victim.Resume();
                detections.Add(detection);
                long detected = paused + (long)(detection * Stopwatch.Frequency / 1e6);
                foreach ((long start, long end) in writes)
                {
                    if (end > paused && start < detected) stalled.Add(Ticks.ToMicros(end - start));
                    else if (end <= paused) normal.Add(Ticks.ToMicros(end - start));
                }
                writes.Clear();
                await WaitRejoinedAsync(cluster, victim, incarnation, cancellation);
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

    private static Task<DataNodeStats> ProbeAsync(ReplicationCluster cluster, NodeProcess node, CancellationToken cancellation) =>
        ReplicationProbe.DataNodeAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, cancellation);

    /// <summary>The resumed node learns it was excluded, starts over and rejoins: wait until an incarnation newer than <paramref name="before"/> serves.</summary>
    private static async Task WaitRejoinedAsync(ReplicationCluster cluster, NodeProcess node, long before, CancellationToken cancellation)
    {
        DataNodeStats? last = null;
        for (int attempt = 0; attempt < 1200; attempt++)
        {
            last = await ProbeAsync(cluster, node, cancellation);
            if ((NodePhase)last.Phase == NodePhase.Serving && last.Incarnation > before) return;
            await Task.Delay(50, cancellation);
        }
        throw new TimeoutException($"{node} did not rejoin within a minute of its resume (incarnation {before} before the pause, now {last})");
    }
}
