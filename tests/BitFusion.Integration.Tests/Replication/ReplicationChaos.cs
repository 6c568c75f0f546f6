using System.Diagnostics;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// SIGKILLs data nodes at random moments and restarts them (they rejoin by state transfer), never letting more
/// than f of one group be unhealthy at once — down, restarted but not yet serving, or paused — and several may die
/// at the same instant. Once, at a random moment, it kills a manager too (any: the coordinator or not, whatever the
/// data nodes are doing, rejoins included) and restarts it a little later, when it joins again as a new sender.
/// With <see cref="ChaosMonkey.Nemesis.Pauses"/> it also freezes a data node (within its group's budget) or a
/// manager (while every manager is up) with SIGSTOP for a while; with <see cref="ChaosMonkey.Nemesis.Drops"/> (the
/// cluster must run its fault proxies) it drops every node-to-node connection of a live process.
/// Every decision comes from the seeded generator.
/// </summary>
internal sealed class ReplicationChaos(ReplicationCluster cluster, Random rng, ChaosMonkey.Nemesis nemesis = ChaosMonkey.Nemesis.Kills)
{
    private const int SigKillExitCode = 128 + 9;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _events = [];
    private readonly HashSet<NodeProcess> _down = [];
    private readonly Dictionary<NodeProcess, Task> _recovering = [];
    private PausedNodes? _pausedNodes;

    // Created on first use: a field initializer cannot hand over the instance's Note.
    private PausedNodes Paused => _pausedNodes ??= new PausedNodes(Note);
    private bool _managerKilled;

    public int Kills { get; private set; }

    public int Restarts { get; private set; }

    public int ManagerKills { get; private set; }

    public int Pauses { get; private set; }

    public int Drops { get; private set; }

    public string History(int last = 40)
    {
        lock (_events) return string.Join('\n', _events.Skip(Math.Max(0, _events.Count - last)));
    }

    public async Task RunAsync(TimeSpan duration, CancellationToken stop)
    {
        double managerAt = duration.TotalSeconds * (0.2 + 0.5 * rng.NextDouble());
        while (!stop.IsCancellationRequested && _clock.Elapsed < duration)
        {
            try
            {
                await Task.Delay(rng.Next(30, 300), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            await ReapAsync(wait: false).ConfigureAwait(false);
            await Paused.ReapAsync(wait: false).ConfigureAwait(false);
            CheckNobodyDiedAlone();
            // The manager's crash may overlap data-node kills and rejoins (a rejoin whose coordinator dies is settled by
            // the membership machine: orphan reports resent to the new coordinator, transfers re-cut until installed).
            if (!_managerKilled && _clock.Elapsed.TotalSeconds >= managerAt) await KillManagerAsync().ConfigureAwait(false);
            else if (!Disturb()) await StepAsync().ConfigureAwait(false);
        }
        await HealAsync().ConfigureAwait(false);
    }

    private bool Unhealthy(NodeProcess n) => _down.Contains(n) || _recovering.ContainsKey(n) || Paused.Contains(n);

    /// <summary>A pause or a drop, if the nemesis has them and the dice say so; false if it did neither.</summary>
    private bool Disturb()
    {
        double roll = rng.NextDouble();
        if (nemesis.HasFlag(ChaosMonkey.Nemesis.Pauses) && roll < 0.2)
        {
            var candidates = new List<NodeProcess>();
            foreach (IReadOnlyList<NodeProcess> group in cluster.Groups)
                if (group.Count(Unhealthy) < cluster.Faults) candidates.AddRange(group.Where(n => !Unhealthy(n)));
            if (!cluster.Managers.Any(Unhealthy)) candidates.AddRange(cluster.Managers);
            if (candidates.Count == 0) return false;
            NodeProcess node = candidates[rng.Next(candidates.Count)];
            int ms = rng.Next(100, 1500);
            Paused.Pause(node, ms);
            Pauses++;
            return true;
        }
        if (nemesis.HasFlag(ChaosMonkey.Nemesis.Drops) && roll < 0.4)
        {
            NodeProcess node = cluster.Nodes.ElementAt(rng.Next(cluster.Nodes.Count()));
            Note($"drop every connection of {node}");
            cluster.Proxies!.Drop(node.Id);
            Drops++;
            return true;
        }
        return false;
    }

    private async Task StepAsync()
    {
        var candidates = new List<NodeProcess>();
        foreach (IReadOnlyList<NodeProcess> group in cluster.Groups)
        {
            int unhealthy = group.Count(Unhealthy);
            if (unhealthy < cluster.Faults) candidates.AddRange(group.Where(n => !Unhealthy(n)));
        }
        if (candidates.Count > 0 && (_down.Count == 0 || rng.NextDouble() < 0.5))
        {
            var victims = new List<NodeProcess>();
            foreach (IReadOnlyList<NodeProcess> group in cluster.Groups.OrderBy(_ => rng.Next()))
            {
                if (rng.NextDouble() < 0.6 && victims.Count > 0) continue;
                int room = cluster.Faults - group.Count(Unhealthy);
                victims.AddRange(group.Where(candidates.Contains).OrderBy(_ => rng.Next()).Take(rng.Next(0, room + 1)));
            }
            if (victims.Count == 0) return;
            Note($"kill {string.Join(", ", victims)}");
            await cluster.KillAsync(victims).ConfigureAwait(false);
            foreach (NodeProcess v in victims)
            {
                int code = await v.Exited!.ConfigureAwait(false);
                if (code != SigKillExitCode) throw new WorkloadException($"{v} exited with code {code} after SIGKILL, not {SigKillExitCode}.");
                _down.Add(v);
            }
            Kills += victims.Count;
        }
        else if (_down.Count > 0)
        {
            RestartOne();
        }
    }

    private void RestartOne()
    {
        NodeProcess node = _down.OrderBy(n => n.Id).ElementAt(rng.Next(_down.Count));
        _down.Remove(node);
        Note($"restart {node}");
        _recovering[node] = RestartAsync(node, rng.Next(0, 100));
        Restarts++;
    }

    private async Task KillManagerAsync()
    {
        _managerKilled = true;
        NodeProcess[] live = cluster.Managers.Where(m => !Paused.Contains(m)).ToArray();
        NodeProcess manager = live[rng.Next(live.Length)];
        Note($"kill {manager}");
        await cluster.KillAsync([manager]).ConfigureAwait(false);
        ManagerKills++;
        int delay = rng.Next(200, 1000);
        _recovering[manager] = Task.Run(async () =>
        {
            await Task.Delay(delay).ConfigureAwait(false);
            await RestartAsync(manager, 0).ConfigureAwait(false);
        });
    }

    private async Task RestartAsync(NodeProcess node, int delayMs)
    {
        await Task.Delay(delayMs).ConfigureAwait(false);
        ReadyLine ready = await node.StartAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        Note($"{node} ready: {ready.Text}");
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

    private async Task HealAsync()
    {
        await Paused.ReapAsync(wait: true).ConfigureAwait(false);
        foreach (NodeProcess node in _down.OrderBy(n => n.Id))
        {
            Note($"restart {node} (healing)");
            _recovering[node] = RestartAsync(node, 0);
            Restarts++;
        }
        _down.Clear();
        await ReapAsync(wait: true).ConfigureAwait(false);
        Note("healed: every node is up and serving");
    }

    private void Note(string what)
    {
        lock (_events) _events.Add($"{_clock.Elapsed.TotalSeconds,7:0.000}s {what}");
    }
}
