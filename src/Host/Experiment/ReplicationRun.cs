using System.Diagnostics;
using BitFusion.Core.Bits;
using BitFusion.Harness;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Experiment;

/// <summary>
/// The study's protocol for active replication with real processes: g groups of f + 1 data nodes behind one
/// manager; `ops` random appends per group through the manager; after every `step` appends every data node is
/// killed with SIGKILL, restarted and rejoined by state transfer, and each group's list is checked against the model.
/// </summary>
internal sealed class ReplicationRun(ExperimentSettings settings, string binary, HeapTool heap, Measurements m, IProgressSink progress)
{
    private bool _sweep;
    private const string Mechanism = "replication";

    /// <summary>Route every node-to-node connection through a fault proxy adding this much per round trip (and skip the space figures).</summary>
    public double? AddedRttMs { get; init; }

    public async Task RunAsync(int groups, int faults, CancellationToken cancellation)
    {
        await using ReplicationCluster cluster = await StartAsync(groups, faults, cancellation);
        var lists = Enumerable.Range(0, groups).Select(g => new ListUnderTest($"group {g}")).ToArray();
        for (int g = 0; g < groups; g++) lists[g].Client = await ConnectAsync(cluster, g, cancellation);
        var random = new Random(HashCode.Combine(settings.Seed, groups, faults, 7));
        int steps = (settings.Ops + settings.Step - 1) / settings.Step;
        long updateBytes = 0, updateFrames = 0, updates = 0;
        try
        {
            for (int s = 0; s < steps; s++)
            {
                int n = Math.Min(settings.Step, settings.Ops - s * settings.Step);
                (long bytes0, long frames0) = await WireAsync(cluster, cancellation);
                long client0 = lists.Sum(l => l.Client!.BytesSent);
                await Task.WhenAll(lists.Select(l => AppendAsync(l, n, new Random(random.Next()), groups, faults)));
                (long bytes1, long frames1) = await WireAsync(cluster, cancellation);
                updateBytes += bytes1 - bytes0 + lists.Sum(l => l.Client!.BytesSent) - client0;
                updateFrames += frames1 - frames0 + n * groups;
                updates += n * groups;
                foreach (ListUnderTest l in lists)
                    foreach (float micros in await l.Client!.SamplesAsync())
                        m.Updates.Add(new UpdateSample(Mechanism, groups, faults, "manager", micros));
                if (AddedRttMs is null && (s == 0 || s == steps - 1 || s == steps / 2)) await MeasureSpaceAsync(cluster, groups, faults, lists[0].Model.Count, cancellation);
                for (int g = 0; g < groups; g++)
                    for (int r = 0; r <= faults; r++)
                        await CrashReplicaAsync(cluster, lists, g, r, groups, faults, cancellation);
            }
            if (updates > 0) m.Wire.Add(new WireSample(Mechanism, groups, faults, "update", (double)updateBytes / updates, (double)updateFrames / updates));
        }
        finally
        {
            foreach (ListUnderTest l in lists) l.Client?.Dispose();
        }
    }

    /// <summary>One point of the list-length sweep: fill every group with `bits` random bits, measure space, crash and rejoin one replica.</summary>
    public async Task SweepAsync(int bits, int groups, int faults, CancellationToken cancellation)
    {
        _sweep = true;
        await using ReplicationCluster cluster = await StartAsync(groups, faults, cancellation);
        var lists = Enumerable.Range(0, groups).Select(g => new ListUnderTest($"group {g}")).ToArray();
        var random = new Random(HashCode.Combine(settings.Seed, bits, faults, 7));
        try
        {
            for (int g = 0; g < groups; g++)
            {
                lists[g].Client = await ConnectAsync(cluster, g, cancellation);
                await Fill.AppendRandomAsync(lists[g], bits, random);
            }
            await MeasureSpaceAsync(cluster, groups, faults, bits, cancellation);
            await CrashReplicaAsync(cluster, lists, 0, faults, groups, faults, cancellation);
        }
        finally
        {
            foreach (ListUnderTest l in lists) l.Client?.Dispose();
        }
    }

    private async Task<ReplicationCluster> StartAsync(int groups, int faults, CancellationToken cancellation)
    {
        ReplicationCluster cluster = await ReplicationCluster.StartAsync(ClusterLayout.Build(0, faults, groups, 1, "127.0.0.1", 0),
            new FusionClusterOptions { Binary = binary, FaultProxies = AddedRttMs is not null }, cancellation);
        if (AddedRttMs is { } rtt)
            foreach (Harness.Faults.FaultProxy link in cluster.Proxies!.Links) link.Delay = TimeSpan.FromMilliseconds(rtt / 2);
        return cluster;
    }

    private async Task AppendAsync(ListUnderTest list, int count, Random random, int groups, int faults)
    {
        double[] samples = await list.AppendRandomAsync(count, random);
        lock (m)
            foreach (double s in samples) m.Updates.Add(new UpdateSample(Mechanism, groups, faults, "client", s));
        progress.Appended(count);
    }

    private async Task CrashReplicaAsync(ReplicationCluster cluster, ListUnderTest[] lists, int group, int replica, int groups, int faults, CancellationToken cancellation)
    {
        NodeProcess node = cluster.Groups[group][replica];
        long start = Stopwatch.GetTimestamp();
        await cluster.KillAsync([node]);
        ReadyLine ready = (await cluster.StartAsync([node], cancellation))[0];
        double wall = Ticks.MicrosSince(start);
        DataNodeStats stats = await ReplicationProbe.DataNodeAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, cancellation);
        BitsResult bits = await lists[group].Client!.ReadAllAsync();
        bool ok = lists[group].Matches(bits, out string difference) && stats.Length == lists[group].Model.Count;
        if (!ok)
            m.Failures.Add($"replication g={groups} f={faults}: after group {group} replica {replica} rejoined, " +
                           (difference.Length > 0 ? $"the group's list is wrong: {difference}" : $"the replica holds {stats.Length} bits, expected {lists[group].Model.Count}"));
        m.Recoveries.Add(new RecoverySample(Mechanism, groups, faults, $"group {group} replica {replica}", lists[group].Model.Count,
            ready.Int64("rejoin_us"), wall, ready.Int64("bytes"), ok, Sweep: _sweep));
        progress.Recovered($"group {group} replica {replica}");
    }

    private async Task MeasureSpaceAsync(ReplicationCluster cluster, int groups, int faults, int elements, CancellationToken cancellation)
    {
        for (int g = 0; g < groups; g++)
            for (int r = 0; r <= faults; r++)
            {
                NodeProcess node = cluster.Groups[g][r];
                long heapBytes = await heap.RetainedBackupBytesAsync(node.Pid ?? throw new InvalidOperationException($"{node} is not running"), cancellation);
                DataNodeStats stats = await ReplicationProbe.DataNodeAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, cancellation);
                m.Space.Add(new SpaceSample(Mechanism, groups, faults, elements, $"group {g} replica {r}{(r > 0 ? " (backup)" : "")}",
                    heapBytes, Delta.WordsFor(stats.Length) * 8L));
            }
    }

    /// <summary>
    /// Bytes and frames the manager and every data node have sent so far (heartbeats included, as in fusion's
    /// figure; the probes' own replies are a constant few per step).
    /// </summary>
    private static async Task<(long Bytes, long Frames)> WireAsync(ReplicationCluster cluster, CancellationToken cancellation)
    {
        long bytes = 0, frames = 0;
        foreach (NodeProcess manager in cluster.Managers)
        {
            ManagerStats s = await ReplicationProbe.ManagerAsync(cluster.EndPointOf(manager.Id), cluster.Key, (ushort)manager.Id, cancellation);
            bytes += s.BytesSent;
            frames += s.FramesSent;
        }
        foreach (NodeProcess node in cluster.DataNodes)
        {
            DataNodeStats s = await ReplicationProbe.DataNodeAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, cancellation);
            bytes += s.BytesSent;
            frames += s.FramesSent;
        }
        return (bytes, frames);
    }

    private static Task<BitListClient> ConnectAsync(ReplicationCluster cluster, int group, CancellationToken cancellation) =>
        BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Managers[0].Id), cluster.Key, Cluster.IdentityOf(cluster.Managers[0].Node), (ushort)(200 + group), group, cancellation: cancellation);
}
