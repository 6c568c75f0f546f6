using System.Diagnostics;
using System.Text;
using BitFusion.Harness;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// Runs one seeded test against a real cluster and turns any failure into a message with everything needed to
/// chase it: the seed, what each worker saw, what the chaos did, and each node's last output (the full logs are
/// kept on disk when a test fails). Always kills every process it started.
/// </summary>
internal sealed class Scenario
{
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _ownsCluster;
    private readonly List<object> _owned = [];

    private Scenario(ITestOutputHelper output, string name, int seed)
    {
        _output = output;
        Name = name;
        Seed = seed;
        Rng = new Random(seed);
    }

    public string Name { get; }

    public int Seed { get; }

    public Random Rng { get; }

    public FusionCluster? Cluster { get; private set; }

    public List<ListWorker> Workers { get; } = [];

    public ChaosMonkey? Chaos { get; set; }

    public static async Task RunAsync(ITestOutputHelper output, string name, Func<Scenario, Task> body)
    {
        var scenario = new Scenario(output, name, TestSeed.Next());
        scenario.Log($"{name}: {TestSeed.Describe(scenario.Seed)}; binary {HostBinary.Path}");
        try
        {
            await body(scenario);
            scenario.Log($"passed in {scenario._clock.Elapsed.TotalSeconds:0.0} s");
            foreach (ListWorker w in scenario.Workers) scenario.Log(w.ToString());
            if (scenario.Chaos is { } chaos) scenario.Log($"chaos: {chaos.Kills} kills (+{chaos.MidRecoveryKills} during a recovery), {chaos.Restarts} restarts, at most {chaos.MostDownAtOnce} down at once");
        }
        catch (Exception e)
        {
            string report = scenario.Report(e);
            scenario.Log(report);
            throw new Xunit.Sdk.XunitException(report);
        }
        finally
        {
            if (scenario is { Cluster: { } cluster, _ownsCluster: true }) await cluster.DisposeAsync();
            for (int i = scenario._owned.Count - 1; i >= 0; i--)
            {
                if (scenario._owned[i] is IAsyncDisposable a) await a.DisposeAsync();
                else ((IDisposable)scenario._owned[i]).Dispose();
            }
        }
    }

    public void Log(string line) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.000}s] {line}");

    public async Task<FusionCluster> StartClusterAsync(ClusterConfig config, Func<FusionClusterOptions, FusionClusterOptions>? adjust = null)
    {
        var options = new FusionClusterOptions { Binary = HostBinary.Path };
        Cluster = await FusionCluster.StartAsync(config, adjust is null ? options : adjust(options));
        _ownsCluster = true;
        Log($"cluster of {Cluster.Primaries.Count} primaries and {Cluster.Backups.Count} backups is up; work folder {Cluster.WorkDirectory}");
        return Cluster;
    }

    /// <summary>Disposes <paramref name="resource"/> when the scenario ends, after the cluster (so e.g. a network outlives its processes).</summary>
    public T Own<T>(T resource) where T : class
    {
        if (resource is not (IDisposable or IAsyncDisposable)) throw new ArgumentException($"{typeof(T).Name} is not disposable.", nameof(resource));
        _owned.Add(resource);
        return resource;
    }

    /// <summary>Runs on a cluster (and its workers) that outlives this scenario, e.g. a class fixture's.</summary>
    public void Share(FusionCluster cluster, IEnumerable<ListWorker> workers)
    {
        Cluster = cluster;
        Workers.AddRange(workers);
    }

    /// <summary>One worker per primary, each with its own seed drawn from the scenario's.</summary>
    public IReadOnlyList<ListWorker> AddWorkers(int maxBatch)
    {
        foreach (NodeProcess p in Cluster!.Primaries) Workers.Add(new ListWorker(Cluster, p, Rng.Next(), maxBatch));
        return Workers;
    }

    /// <summary>
    /// Runs every worker while <paramref name="script"/> runs (the chaos, or a scripted failure), then stops them.
    /// If a worker fails first the script is cancelled; every failure is reported.
    /// </summary>
    public async Task DriveAsync(Func<CancellationToken, Task> script)
    {
        using var stopLoad = new CancellationTokenSource();
        using var stopScript = new CancellationTokenSource();
        Task[] load = Workers.Select(w => Task.Run(() => w.RunAsync(stopLoad.Token))).ToArray();
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

    private string Report(Exception e)
    {
        var text = new StringBuilder();
        text.Append($"{Name} failed after {_clock.Elapsed.TotalSeconds:0.0} s; {TestSeed.Describe(Seed)}\n");
        text.Append(e is WorkloadException or ChildProcessException ? e.Message : e.ToString()).Append('\n');
        foreach (ListWorker w in Workers) text.Append("worker: ").Append(w).Append('\n');
        if (Chaos is { } chaos) text.Append("chaos, last steps:\n").Append(chaos.History()).Append('\n');
        if (Cluster is { } cluster)
        {
            cluster.KeepWorkDirectory = true;
            text.Append($"full logs in {cluster.WorkDirectory}\n").Append(cluster.Describe());
        }
        return text.ToString();
    }
}
