using System.Diagnostics;
using BitFusion.Harness;
using BitFusion.Net.Protocol;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// Kills random processes (primaries and backups) with SIGKILL at random moments and restarts them, never letting
/// more than f be unhealthy at once: a node counts as down from its kill until it is healthy again (a primary
/// serving its rebuilt list, a backup holding every primary). Several may die at the same instant, and a node may
/// die while others are still recovering, and a node may be killed again in the middle of its own recovery.
/// With <see cref="Nemesis.Pauses"/> it also freezes a live node with SIGSTOP for a while; with
/// <see cref="Nemesis.Drops"/> (the cluster must run its fault proxies) it drops every connection of a live node to
/// and from its peers while both ends live. A paused or dropped node counts against f as the fault model counts it
/// (docs/protocol.md, "Fusion under the whole fault model"): until every backup's Status shows it current again — a
/// backup complete and serving every primary, a primary served by every backup. A backup that is not current for a
/// primary (re-encoding, a stale life) counts as failed even when nobody touched it, and stays failed until it is
/// current for every primary: one that was not current when a primary died can only be re-encoded by that primary.
/// Every decision comes from the seeded generator.
/// </summary>
internal sealed class ChaosMonkey(FusionCluster cluster, Random rng, ChaosMonkey.Nemesis nemesis = ChaosMonkey.Nemesis.Kills)
{
    [Flags]
    public enum Nemesis
    {
        Kills = 0,
        Pauses = 1,
        Drops = 2,
    }

    private const int SigKillExitCode = 128 + 9;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _events = [];
    private readonly HashSet<NodeProcess> _down = [];
    private readonly Dictionary<NodeProcess, Task> _recovering = [];
    private readonly HashSet<NodeProcess> _unsettled = [];
    private PausedNodes? _pausedNodes;

    // Created on first use: a field initializer cannot hand over the instance's Note.
    private PausedNodes Paused => _pausedNodes ??= new PausedNodes(Note);
    private int _midRecoveryKills;

    public int Kills { get; private set; }

    public int Restarts { get; private set; }

    public int MostDownAtOnce { get; private set; }

    public int Pauses { get; private set; }

    public int Drops { get; private set; }

    /// <summary>Nodes killed again while they were still recovering from an earlier kill.</summary>
    public int MidRecoveryKills => Volatile.Read(ref _midRecoveryKills);

    /// <summary>The last things the monkey did, for a failure message.</summary>
    public string History(int last = 40)
    {
        lock (_events) return string.Join('\n', _events.Skip(Math.Max(0, _events.Count - last)));
    }

    /// <summary>Wreaks havoc until <paramref name="stop"/> fires, then restarts what is down and returns once all is healthy.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            int pause = rng.Next(20, 400);
            try
            {
                await Task.Delay(pause, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await StepAsync().ConfigureAwait(false);
        }
        await HealAsync().ConfigureAwait(false);
    }

    private async Task StepAsync()
    {
        await ReapAsync(wait: false).ConfigureAwait(false);
        await Paused.ReapAsync(wait: false).ConfigureAwait(false);
        CheckNobodyDiedAlone();
        if (nemesis != Nemesis.Kills) await SettleAsync().ConfigureAwait(false);
        int unhealthy = cluster.Nodes.Count(IsUnhealthy);
        NodeProcess[] up = cluster.Nodes.Where(n => !IsUnhealthy(n)).ToArray();
        double roll = rng.NextDouble();
        if (nemesis.HasFlag(Nemesis.Pauses) && roll < 0.2 && unhealthy < cluster.Faults)
        {
            NodeProcess node = up[rng.Next(up.Length)];
            int ms = rng.Next(100, 1500);
            Paused.Pause(node, ms);
            _unsettled.Add(node);
            Pauses++;
            MostDownAtOnce = Math.Max(MostDownAtOnce, unhealthy + 1);
        }
        else if (nemesis.HasFlag(Nemesis.Drops) && roll < 0.4 && unhealthy < cluster.Faults)
        {
            NodeProcess node = up[rng.Next(up.Length)];
            Note($"drop every connection of {node}");
            cluster.Proxies!.Drop(node.Id);
            _unsettled.Add(node);
            Drops++;
            MostDownAtOnce = Math.Max(MostDownAtOnce, unhealthy + 1);
        }
        else if (unhealthy < cluster.Faults && (_down.Count == 0 || rng.NextDouble() < 0.5))
        {
            int t = rng.Next(1, cluster.Faults - unhealthy + 1);
            NodeProcess[] victims = up.OrderBy(_ => rng.Next()).Take(t).ToArray();
            Note($"kill {string.Join(", ", victims.Select(v => v.ToString()))}");
            await cluster.KillAsync(victims).ConfigureAwait(false);
            foreach (NodeProcess v in victims)
            {
                int code = await v.Exited!.ConfigureAwait(false);
                if (code != SigKillExitCode) throw new WorkloadException($"{v} exited with code {code} after SIGKILL, not {SigKillExitCode}.");
                _down.Add(v);
            }
            Kills += victims.Length;
            MostDownAtOnce = Math.Max(MostDownAtOnce, cluster.Nodes.Count(IsUnhealthy));
        }
        else if (_down.Count > 0)
        {
            NodeProcess node = _down.OrderBy(n => n.Id).ElementAt(rng.Next(_down.Count));
            _down.Remove(node);
            int delay = rng.Next(0, 150);
            int interruptAfter = rng.NextDouble() < 0.25 ? rng.Next(0, 250) : -1;
            Note($"restart {node}");
            _recovering[node] = RestartAsync(node, delay, interruptAfter);
            Restarts++;
        }
    }

    /// <summary>
    /// Starts the node again and waits until it is healthy. With <paramref name="interruptAfterMs"/> ≥ 0 the first
    /// attempt is SIGKILLed if it is still recovering by then (a primary mid-rebuild, a backup mid-re-encoding),
    /// and the node is started once more.
    /// </summary>
    private async Task RestartAsync(NodeProcess node, int delayMs, int interruptAfterMs)
    {
        await Task.Delay(delayMs).ConfigureAwait(false);
        if (interruptAfterMs >= 0)
        {
            using var interrupt = new CancellationTokenSource();
            Task life = StartHealthyAsync(node, interrupt.Token);
            if (await Task.WhenAny(life, Task.Delay(interruptAfterMs)).ConfigureAwait(false) == life)
            {
                await life.ConfigureAwait(false);
                return;
            }
            node.Kill();
            await interrupt.CancelAsync().ConfigureAwait(false);
            try
            {
                await life.ConfigureAwait(false);
            }
            catch (Exception e) when (e is ChildProcessException or OperationCanceledException)
            {
                // The life we just killed never became healthy, as intended.
            }
            int code = await node.Exited!.ConfigureAwait(false);
            if (code != SigKillExitCode) throw new WorkloadException($"{node} exited with code {code} after SIGKILL during its recovery, not {SigKillExitCode}.");
            Note($"killed {node} again while it was recovering");
            Interlocked.Increment(ref _midRecoveryKills);
        }
        await StartHealthyAsync(node, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task StartHealthyAsync(NodeProcess node, CancellationToken cancellation)
    {
        ReadyLine ready = await node.StartAsync(TimeSpan.FromSeconds(60), cancellation).ConfigureAwait(false);
        Note($"{node} ready: {ready.Text}");
        await cluster.WaitHealthyAsync(node, cancellation).ConfigureAwait(false);
        if (node.Role == "backup") Note($"{node} holds every primary again");
    }

    private bool IsUnhealthy(NodeProcess node) =>
        _down.Contains(node) || _recovering.ContainsKey(node) || Paused.Contains(node) || _unsettled.Contains(node);

    private bool IsRunningFreely(NodeProcess node) => !_down.Contains(node) && !_recovering.ContainsKey(node) && !Paused.Contains(node);

    /// <summary>
    /// Asks every running backup for its Status and updates which nodes count as failed although they run. A backup
    /// is marked when it is incomplete or not served by a primary that runs freely, and cleared only once it is
    /// complete and served by every primary; a primary is marked while a running backup does not see it serving.
    /// </summary>
    private async Task SettleAsync()
    {
        var servedBy = new Dictionary<int, int>();
        int answered = 0;
        NodeProcess[] backups = cluster.Backups.Where(IsRunningFreely).ToArray();
        foreach (NodeProcess backup in backups)
        {
            BackupReport report;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                report = await BackupProbe.StatusAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id,
                    (ushort)cluster.Cluster.Primaries[0].Id, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ProtocolException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Mark(backup, $"its Status failed: {e.Message}");
                continue;
            }
            answered++;
            bool current = report.Complete;
            for (int p = 0; p < report.Primaries.Length; p++)
            {
                if (report.Primaries[p].Serving) servedBy[p] = servedBy.GetValueOrDefault(p) + 1;
                else current = false;
            }
            if (current) Clear(backup);
            else if (!report.Complete) Mark(backup, "it is not complete");
            else if (Enumerable.Range(0, report.Primaries.Length).Any(p => !report.Primaries[p].Serving && IsRunningFreely(cluster.Primaries[p])))
                Mark(backup, "a running primary does not serve it");
        }
        for (int p = 0; p < cluster.Primaries.Count; p++)
        {
            NodeProcess primary = cluster.Primaries[p];
            if (!IsRunningFreely(primary)) continue;
            if (answered == backups.Length && servedBy.GetValueOrDefault(p) == answered) Clear(primary);
            else Mark(primary, "a running backup does not see it serving");
        }
    }

    private void Mark(NodeProcess node, string why)
    {
        if (_unsettled.Add(node)) Note($"{node} counts as failed: {why}");
    }

    private void Clear(NodeProcess node)
    {
        if (_unsettled.Remove(node)) Note($"{node} is current again");
    }

    private async Task ReapAsync(bool wait)
    {
        foreach (NodeProcess node in _recovering.Keys.ToArray())
        {
            Task recovery = _recovering[node];
            if (!wait && !recovery.IsCompleted) continue;
            await recovery.ConfigureAwait(false);
            _recovering.Remove(node);
        }
    }

    private void CheckNobodyDiedAlone()
    {
        foreach (NodeProcess node in cluster.Nodes)
            if (!_down.Contains(node) && !_recovering.ContainsKey(node) && !node.IsRunning)
                throw new WorkloadException($"{node} exited although nobody killed it; its last output:\n{node.Log.Text(30)}");
    }

    /// <summary>Restarts everything still down and waits until the whole cluster is healthy.</summary>
    private async Task HealAsync()
    {
        await Paused.ReapAsync(wait: true).ConfigureAwait(false);
        foreach (NodeProcess node in _down.OrderBy(n => n.Id))
        {
            Note($"restart {node} (healing)");
            _recovering[node] = RestartAsync(node, 0, -1);
            Restarts++;
        }
        _down.Clear();
        await ReapAsync(wait: true).ConfigureAwait(false);
        Note("healed: every node is up and healthy");
    }

    private void Note(string what)
    {
        lock (_events) _events.Add($"{_clock.Elapsed.TotalSeconds,7:0.000}s {what}");
    }
}
