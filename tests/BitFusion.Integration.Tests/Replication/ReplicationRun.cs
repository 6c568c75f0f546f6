using System.Diagnostics;
using System.Text;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// Runs one seeded test against a real replication cluster and turns any failure into a message with everything
/// needed to chase it: the seed, what each group's clients saw, what the chaos did, and each node's last output
/// (the full logs stay on disk when a test fails). Always kills every process it started.
/// </summary>
internal sealed class ReplicationRun
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ReplicationRun(ITestOutputHelper output, string name, int seed)
    {
        _output = output;
        Name = name;
        Seed = seed;
        Rng = new Random(seed);
    }

    public string Name { get; }

    public int Seed { get; }

    public Random Rng { get; }

    public ReplicationCluster? Cluster { get; private set; }

    public List<GroupLedger> Ledgers { get; } = [];

    public List<GroupWriter> Writers { get; } = [];

    public ReplicationChaos? Chaos { get; set; }

    public static async Task RunAsync(ITestOutputHelper output, string name, Func<ReplicationRun, Task> body)
    {
        var run = new ReplicationRun(output, name, TestSeed.Next());
        run.Log($"{name}: {TestSeed.Describe(run.Seed)}; binary {HostBinary.Path}");
        try
        {
            await body(run);
            run.Log($"passed in {run._clock.Elapsed.TotalSeconds:0.0} s");
            foreach (GroupLedger l in run.Ledgers) run.Log(l.ToString());
            foreach (GroupWriter w in run.Writers) run.Log(w.ToString());
            if (run.Chaos is { } chaos) run.Log($"chaos: {chaos.Kills} data-node kills, {chaos.Restarts} restarts, {chaos.ManagerKills} manager kill(s)");
        }
        catch (Exception e)
        {
            string report = run.Report(e);
            run.Log(report);
            throw new Xunit.Sdk.XunitException(report);
        }
        finally
        {
            foreach (GroupWriter w in run.Writers) w.Disconnect();
            if (run.Cluster is { } cluster) await cluster.DisposeAsync();
        }
    }

    private const int SuspectAfterMs = 20_000;

    public void Log(string line) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.000}s] {line}");

    /// <summary>Starts the cluster; with <paramref name="proxies"/> every node-to-node connection runs through a fault proxy.</summary>
    /// <param name="suspectAfterMs">The failure detector's bound. By default these runs crash processes (seen at once as
    /// closed connections and refused ports) on a shared CI machine, where a process starved of CPU for the default
    /// 1.5 s would be suspected as if paused; runs that pause processes on purpose pass their own bound.</param>
    public async Task<ReplicationCluster> StartAsync(ClusterConfig config, bool proxies = false, int suspectAfterMs = SuspectAfterMs)
    {
        config.SuspectAfterMs = suspectAfterMs;
        Cluster = await ReplicationCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path, FaultProxies = proxies });
        Log($"{Cluster.Managers.Count} managers and {Cluster.Groups.Count} groups of {Cluster.Faults + 1} data nodes are up; work folder {Cluster.WorkDirectory}");
        return Cluster;
    }

    /// <summary>Per group a ledger and one writer per manager, each writer with its own seed drawn from the run's.</summary>
    public void AddWriters()
    {
        for (int g = 0; g < Cluster!.Groups.Count; g++)
        {
            var ledger = new GroupLedger(g);
            Ledgers.Add(ledger);
            for (int m = 0; m < Cluster.Managers.Count; m++) Writers.Add(new GroupWriter(Cluster, ledger, m, Rng.Next()));
        }
    }

    /// <summary>Runs every writer while <paramref name="script"/> runs, then stops them; every failure is reported.</summary>
    public async Task DriveAsync(Func<CancellationToken, Task> script)
    {
        using var stopLoad = new CancellationTokenSource();
        using var stopScript = new CancellationTokenSource();
        Task[] load = Writers.Select(w => Task.Run(() => w.RunAsync(stopLoad.Token))).ToArray();
        Task scripted = Task.Run(() => script(stopScript.Token));
        Task first = await Task.WhenAny(load.Append(scripted));
        if (first != scripted) await stopScript.CancelAsync();
        await stopLoad.CancelAsync();
        Task all = Task.WhenAll(load.Append(scripted));
        try
        {
            await all;
        }
        catch
        {
            Exception[] failures = all.Exception!.InnerExceptions.Where(e => e is not OperationCanceledException).ToArray();
            if (failures.Length == 0) throw all.Exception;
            if (failures.Length == 1) throw failures[0];
            throw new WorkloadException(string.Join("\n-- and --\n", failures.Select(f => f.Message)));
        }
    }

    /// <summary>
    /// Reads every replica of every group directly, requires each group's replicas identical (waiting briefly for the
    /// last deliveries to land everywhere), and checks the group against its ledger; every group must have
    /// acknowledged writes, and no running manager may have seen replicas disagree on a write's result.
    /// </summary>
    public async Task VerifyAsync()
    {
        foreach (NodeProcess manager in Cluster!.Managers.Where(m => m.IsRunning))
        {
            ManagerStats stats = await ReplicationProbe.ManagerAsync(Cluster.EndPointOf(manager.Id), Cluster.Key, (ushort)manager.Id);
            if (stats.Divergences != 0) throw new WorkloadException($"{manager} saw replicas disagree on {stats.Divergences} writes' results.");
        }
        foreach (GroupLedger ledger in Ledgers)
            if (ledger.Acked == 0) throw new WorkloadException($"group {ledger.Group} acknowledged no write. {ledger}");
        for (int g = 0; g < Cluster!.Groups.Count; g++)
        {
            BitsResult[] replicas = await ReadAgreeingAsync(Cluster.Groups[g]);
            if (Ledgers[g].Verify(replicas[0]) is { } failure)
                throw new WorkloadException($"group {g}: {failure}. {Ledgers[g]}");
            Log($"group {g}: {replicas.Length} replicas identical ({replicas[0].Length} bits at position {replicas[0].Seq}) and equal to the acknowledged writes");
        }
    }

    /// <summary>Reads the running replicas of a group until they agree (or 5 s have passed).</summary>
    public async Task<BitsResult[]> ReadAgreeingAsync(IReadOnlyList<NodeProcess> members)
    {
        NodeProcess[] group = members.Where(n => n.IsRunning).ToArray();
        string last = "";
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var reads = new BitsResult[group.Length];
            for (int i = 0; i < group.Length; i++) reads[i] = await ReadReplicaAsync(group[i]);
            last = Disagreement(group, reads) ?? "";
            if (last.Length == 0) return reads;
            await Task.Delay(50);
        }
        throw new WorkloadException($"the replicas of a group still differ after 5 s: {last}");
    }

    private async Task<BitsResult> ReadReplicaAsync(NodeProcess node)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using BitListClient client = await BitListClient.ConnectAsync(Cluster!.EndPointOf(node.Id), Cluster.Key, Cluster.IdentityOf(node.Id), 3000,
            cancellation: timeout.Token);
        return await client.ReadAllAsync().WaitAsync(timeout.Token);
    }

    private static string? Disagreement(NodeProcess[] group, BitsResult[] reads)
    {
        for (int i = 1; i < reads.Length; i++)
        {
            BitsResult a = reads[0], b = reads[i];
            if (a.Length != b.Length || a.Seq != b.Seq || !a.Words.AsSpan().SequenceEqual(b.Words))
                return $"{group[0]} holds {a.Length} bits at position {a.Seq}, {group[i]} holds {b.Length} bits at position {b.Seq}" +
                       (a.Length == b.Length && a.Seq == b.Seq ? " with different bits" : "");
        }
        return null;
    }

    private string Report(Exception e)
    {
        var text = new StringBuilder();
        text.Append($"{Name} failed after {_clock.Elapsed.TotalSeconds:0.0} s; {TestSeed.Describe(Seed)}\n");
        text.Append(e is WorkloadException or ChildProcessException ? e.Message : e.ToString()).Append('\n');
        foreach (GroupLedger l in Ledgers) text.Append("ledger: ").Append(l).Append('\n');
        foreach (GroupWriter w in Writers) text.Append("writer: ").Append(w).Append('\n');
        if (Chaos is { } chaos) text.Append("chaos, last steps:\n").Append(chaos.History()).Append('\n');
        if (Cluster is { } cluster)
        {
            cluster.KeepWorkDirectory = true;
            text.Append($"full logs in {cluster.WorkDirectory}\n").Append(cluster.Describe());
        }
        return text.ToString();
    }
}
