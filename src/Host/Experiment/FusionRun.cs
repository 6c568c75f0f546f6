using System.Diagnostics;
using BitFusion.Harness;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Experiment;

/// <summary>
/// The study's protocol for fusion with real processes: g primaries and f backups on loopback; `ops` random appends
/// per primary; after every `step` appends each primary (and, with --kill-backups, each backup, then f processes at
/// once) is killed with SIGKILL and restarted, and every recovered list is checked against the model.
/// </summary>
internal sealed class FusionRun(ExperimentSettings settings, string binary, HeapTool heap, Measurements m, IProgressSink progress)
{
    private bool _sweep;
    private const string Mechanism = "fusion";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Route every node-to-node connection through a fault proxy adding this much per round trip (and skip the space figures).</summary>
    public double? AddedRttMs { get; init; }

    public async Task RunAsync(int groups, int faults, CancellationToken cancellation)
    {
        ClusterConfig config = ClusterLayout.Build(groups, faults, 0, 0, "127.0.0.1", 0);
        await using FusionCluster cluster = await FusionCluster.StartAsync(config, new FusionClusterOptions { Binary = binary, FaultProxies = AddedRttMs is not null }, cancellation);
        if (AddedRttMs is { } rtt)
            foreach (Harness.Faults.FaultProxy link in cluster.Proxies!.Links) link.Delay = TimeSpan.FromMilliseconds(rtt / 2);
        var lists = Enumerable.Range(0, groups).Select(i => new ListUnderTest($"primary {i}")).ToArray();
        for (int i = 0; i < groups; i++) lists[i].Client = await ConnectAsync(cluster, i, cancellation);
        var random = new Random(HashCode.Combine(settings.Seed, groups, faults));
        int steps = (settings.Ops + settings.Step - 1) / settings.Step;
        long updateBytes = 0, updateFrames = 0, updates = 0;
        try
        {
            for (int s = 0; s < steps; s++)
            {
                int n = Math.Min(settings.Step, settings.Ops - s * settings.Step);
                (long bytes0, long frames0) = await WireAsync(cluster, cancellation);
                long client0 = lists.Sum(l => l.Client!.BytesSent);
                await Task.WhenAll(lists.Select((l, i) => AppendAsync(l, n, new Random(random.Next()), groups, faults)));
                (long bytes1, long frames1) = await WireAsync(cluster, cancellation);
                updateBytes += bytes1 - bytes0 + lists.Sum(l => l.Client!.BytesSent) - client0;
                updateFrames += frames1 - frames0 + n * groups;
                updates += n * groups;
                foreach (ListUnderTest l in lists)
                    foreach (float micros in await l.Client!.SamplesAsync())
                        m.Updates.Add(new UpdateSample(Mechanism, groups, faults, "primary", micros));
                if (AddedRttMs is null && (s == 0 || s == steps - 1 || s == steps / 2)) await MeasureSpaceAsync(cluster, groups, faults, lists[0].Model.Count, cancellation);

                for (int i = 0; i < groups; i++) await CrashPrimaryAsync(cluster, lists, i, groups, faults, cancellation);
                if (settings.KillBackups)
                {
                    for (int j = 0; j < faults; j++) await CrashBackupAsync(cluster, lists, j, groups, faults, cancellation);
                    if (faults > 1) await CrashManyAsync(cluster, lists, random, groups, faults, cancellation);
                }
            }
            if (updates > 0) m.Wire.Add(new WireSample(Mechanism, groups, faults, "update", (double)updateBytes / updates, (double)updateFrames / updates));
        }
        finally
        {
            foreach (ListUnderTest l in lists) l.Client?.Dispose();
        }
    }

    /// <summary>One point of the list-length sweep: fill every primary with `bits` random bits, measure space, crash and recover primary 0.</summary>
    public async Task SweepAsync(int bits, int groups, int faults, CancellationToken cancellation)
    {
        _sweep = true;
        ClusterConfig config = ClusterLayout.Build(groups, faults, 0, 0, "127.0.0.1", 0);
        await using FusionCluster cluster = await FusionCluster.StartAsync(config, new FusionClusterOptions { Binary = binary }, cancellation);
        var lists = Enumerable.Range(0, groups).Select(i => new ListUnderTest($"primary {i}")).ToArray();
        var random = new Random(HashCode.Combine(settings.Seed, bits, faults));
        try
        {
            for (int i = 0; i < groups; i++)
            {
                lists[i].Client = await ConnectAsync(cluster, i, cancellation);
                await Fill.AppendRandomAsync(lists[i], bits, random);
            }
            await MeasureSpaceAsync(cluster, groups, faults, bits, cancellation);
            await CrashPrimaryAsync(cluster, lists, 0, groups, faults, cancellation);
        }
        finally
        {
            foreach (ListUnderTest l in lists) l.Client?.Dispose();
        }
    }

    private async Task AppendAsync(ListUnderTest list, int count, Random random, int groups, int faults)
    {
        double[] samples = await list.AppendRandomAsync(count, random);
        lock (m)
            foreach (double s in samples) m.Updates.Add(new UpdateSample(Mechanism, groups, faults, "client", s));
        progress.Appended(count);
    }

    private async Task CrashPrimaryAsync(FusionCluster cluster, ListUnderTest[] lists, int i, int groups, int faults, CancellationToken cancellation)
    {
        NodeProcess node = cluster.Primaries[i];
        (long bytes0, _) = await WireAsync(cluster, cancellation, except: node);
        lists[i].Client!.Dispose();
        long start = Stopwatch.GetTimestamp();
        await cluster.KillAsync([node]);
        ReadyLine ready = (await cluster.StartAsync([node], cancellation))[0];
        double wall = Ticks.MicrosSince(start);
        (long bytes1, _) = await WireAsync(cluster, cancellation);
        lists[i].Client = await ConnectAsync(cluster, i, cancellation);
        BitsResult bits = await lists[i].Client!.ReadAllAsync();
        bool ok = lists[i].Matches(bits, out string difference);
        if (!ok) m.Failures.Add($"fusion g={groups} f={faults}: primary {i} recovered wrong after {lists[i].Model.Count} appends: {difference}");
        m.Recoveries.Add(new RecoverySample(Mechanism, groups, faults, $"primary {i}", lists[i].Model.Count,
            ready.Int64("recovery_us"), wall, bytes1 - bytes0, ok, Sweep: _sweep, RecoveryKinds.Primary, RecoveryPhaseSample.FromReady(ready)));
        progress.Recovered($"primary {i}");
    }

    private async Task CrashBackupAsync(FusionCluster cluster, ListUnderTest[] lists, int j, int groups, int faults, CancellationToken cancellation)
    {
        NodeProcess node = cluster.Backups[j];
        (long bytes0, _) = await WireAsync(cluster, cancellation, except: node);
        long start = Stopwatch.GetTimestamp();
        await cluster.KillAsync([node]);
        await node.RestartAsync(StartTimeout, cancellation);
        long ready = Stopwatch.GetTimestamp();
        await WaitCompleteAsync(cluster, node, cancellation);
        double reencode = Ticks.MicrosSince(ready), wall = Ticks.MicrosSince(start);
        (long bytes1, _) = await WireAsync(cluster, cancellation);
        bool ok = await BackupsAgreeAsync(cluster, lists, groups, faults, cancellation);
        m.Recoveries.Add(new RecoverySample(Mechanism, groups, faults, $"backup {j}", lists[0].Model.Count, reencode, wall, bytes1 - bytes0, ok, Sweep: _sweep,
            RecoveryKinds.Backup, RecoveryPhaseSample.Backup(reencode)));
        progress.Recovered($"backup {j}");
    }

    private async Task CrashManyAsync(FusionCluster cluster, ListUnderTest[] lists, Random random, int groups, int faults, CancellationToken cancellation)
    {
        NodeProcess[] victims = cluster.Nodes.OrderBy(_ => random.Next()).Take(faults).ToArray();
        foreach (NodeProcess v in victims.Where(v => v.Role == "primary")) lists[cluster.Primaries.ToList().IndexOf(v)].Client!.Dispose();
        long start = Stopwatch.GetTimestamp();
        await cluster.KillAsync(victims);
        // Each victim's own figure: a primary's from its ready line, a backup's from its ready line to complete.
        var reencode = new double[victims.Length];
        ReadyLine[] ready = await Task.WhenAll(victims.Select(async (v, k) =>
        {
            ReadyLine line = await v.StartAsync(StartTimeout, cancellation);
            long up = Stopwatch.GetTimestamp();
            await WaitCompleteAsync(cluster, v, cancellation);
            reencode[k] = Ticks.MicrosSince(up);
            return line;
        }));
        double wall = Ticks.MicrosSince(start);
        bool ok = true;
        for (int i = 0; i < groups; i++)
        {
            if (victims.Contains(cluster.Primaries[i])) lists[i].Client = await ConnectAsync(cluster, i, cancellation);
            BitsResult bits = await lists[i].Client!.ReadAllAsync();
            if (!lists[i].Matches(bits, out string difference))
            {
                ok = false;
                m.Failures.Add($"fusion g={groups} f={faults}: after killing {string.Join(", ", victims.Select(v => v.ToString()))} at once, primary {i} is wrong: {difference}");
            }
        }
        ok &= await BackupsAgreeAsync(cluster, lists, groups, faults, cancellation);
        for (int k = 0; k < victims.Length; k++)
        {
            bool primary = victims[k].Role == "primary";
            m.Recoveries.Add(new RecoverySample(Mechanism, groups, faults, $"{victims[k]} (with {faults - 1} more)", lists[0].Model.Count,
                primary ? ready[k].Int64("recovery_us") : reencode[k], wall, 0, ok, Sweep: _sweep,
                primary ? RecoveryKinds.ManyPrimary : RecoveryKinds.ManyBackup,
                primary ? RecoveryPhaseSample.FromReady(ready[k]) : RecoveryPhaseSample.Backup(reencode[k])));
        }
        progress.Recovered($"{faults} at once");
    }

    private async Task<bool> BackupsAgreeAsync(FusionCluster cluster, ListUnderTest[] lists, int groups, int faults, CancellationToken cancellation)
    {
        var reports = new List<BackupReport>();
        foreach (NodeProcess b in cluster.Backups)
            reports.Add(await BackupProbe.StatusAsync(cluster.EndPointOf(b.Id), cluster.Key, (ushort)b.Id, (ushort)cluster.Primaries[0].Id, cancellation));
        for (int p = 0; p < groups; p++)
        {
            if (reports.Any(r => !r.Complete || r.Primaries[p].Length != lists[p].Model.Count || r.Primaries[p].Seq != reports[0].Primaries[p].Seq))
            {
                m.Failures.Add($"fusion g={groups} f={faults}: backups disagree on primary {p} (" +
                               string.Join("; ", reports.Select((r, j) => $"backup {j}: complete {r.Complete}, seq {r.Primaries[p].Seq}, length {r.Primaries[p].Length}")) +
                               $"; the model has {lists[p].Model.Count} bits)");
                return false;
            }
        }
        return true;
    }

    private async Task MeasureSpaceAsync(FusionCluster cluster, int groups, int faults, int elements, CancellationToken cancellation)
    {
        foreach (NodeProcess node in cluster.Nodes)
        {
            long heapBytes = await heap.RetainedBackupBytesAsync(node.Pid ?? throw new InvalidOperationException($"{node} is not running"), cancellation);
            NodeStats stats = await NodeProbe.StatsAsync(cluster.EndPointOf(node.Id), cluster.Key, Cluster.IdentityOf(node.Node), cancellation);
            long data = stats.WordCount * 8L + (node.Role == "backup" ? groups * (sizeof(int) + sizeof(long)) : 0);
            string name = node.Role == "backup" ? $"backup {cluster.Backups.ToList().IndexOf(node)}" : $"primary {cluster.Primaries.ToList().IndexOf(node)}";
            m.Space.Add(new SpaceSample(Mechanism, groups, faults, elements, name, heapBytes, data));
        }
    }

    /// <summary>
    /// Returns once a started backup holds every primary again (a primary is done once it printed its ready line):
    /// when the backup says so on its standard output (its "reencoded" line), or else (a binary that prints none)
    /// when a Status poll every millisecond finds it complete, so that a re-encode's figure is not rounded up to the
    /// harness's usual 20 ms.
    /// </summary>
    private static async Task WaitCompleteAsync(FusionCluster cluster, NodeProcess node, CancellationToken cancellation)
    {
        if (node.Role != "backup") return;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Task poll = BackupProbe.WaitCompleteAsync(cluster.EndPointOf(node.Id), cluster.Key, (ushort)node.Id, (ushort)cluster.Primaries[0].Id,
            StartTimeout, stop.Token, TimeSpan.FromMilliseconds(1));
        Task first = await Task.WhenAny(node.Reencoded, poll);
        await stop.CancelAsync();
        if (first == poll) await poll;
        else await poll.ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private static Task<BitListClient> ConnectAsync(FusionCluster cluster, int i, CancellationToken cancellation) =>
        BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[i].Id), cluster.Key, Cluster.IdentityOf(cluster.Primaries[i].Node), (ushort)(100 + i), cancellation: cancellation);

    /// <summary>Bytes and frames every running node has sent so far (a killed node's count dies with it).</summary>
    private static async Task<(long Bytes, long Frames)> WireAsync(FusionCluster cluster, CancellationToken cancellation, NodeProcess? except = null)
    {
        long bytes = 0, frames = 0;
        foreach (NodeProcess node in cluster.Nodes)
        {
            if (node == except || !node.IsRunning) continue;
            NodeStats s = await NodeProbe.StatsAsync(cluster.EndPointOf(node.Id), cluster.Key, Cluster.IdentityOf(node.Node), cancellation);
            bytes += s.BytesSent;
            frames += s.FramesSent;
        }
        return (bytes, frames);
    }
}
