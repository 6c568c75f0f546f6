using BitFusion.Core.Fusion;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// A whole fusion cluster in one thread: n primaries, f backups and a few clients, each a pure role from
/// src/Core/Fusion/Roles behind a thin simulated adapter, over a seeded discrete-event network. The nemesis
/// crashes and restarts processes (several at once, up to f, also during a recovery), pauses and resumes them,
/// drops connections between live processes, and makes readers slow; connects to a dead process are refused and
/// connects to a paused one hang until it resumes. Then faults stop, everything must settle within a bounded
/// simulated time, and the checks in FusionSimulation.Checks run. A run is a function of its seed alone.
/// </summary>
internal sealed partial class FusionSimulation
{
    private readonly PriorityQueue<Action, (long Time, long Order)> _events = new();
    private long _order;
    private long _nextLink = 1;
    private readonly List<string> _trace = [];

    private readonly Action<FusionSimulation>? _script;
    private readonly List<(Func<bool> When, Action Then)> _watches = [];

    /// <summary>A run; with <paramref name="script"/> the script plays the nemesis instead of the seeded random one.</summary>
    public FusionSimulation(int seed, FusionSimOptions options, Action<FusionSimulation>? script = null)
    {
        _script = script;
        Seed = seed;
        Options = options;
        Rng = new Random(seed);
        Code = new FusionCode(options.Primaries, options.Faults);
        Backups = Enumerable.Range(0, options.Faults).Select(j => new SimBackupNode(this, j)).ToArray();
        Primaries = Enumerable.Range(0, options.Primaries).Select(p => new SimPrimaryNode(this, p)).ToArray();
        Clients = Enumerable.Range(0, options.Clients).Select(c => new SimClient(this, c, Primaries[c % options.Primaries])).ToArray();
        Lineages = Enumerable.Range(0, options.Primaries).Select(_ => new Lineage()).ToArray();
    }

    public int Seed { get; }
    public FusionSimOptions Options { get; }
    public Random Rng { get; }
    public FusionCode Code { get; }
    public SimBackupNode[] Backups { get; }
    public SimPrimaryNode[] Primaries { get; }
    public SimClient[] Clients { get; }
    public long Now { get; private set; }
    public long Events { get; private set; }

    /// <summary>When the nemesis stopped; from then on nothing may hang.</summary>
    public long FaultsEnd { get; private set; } = long.MaxValue;

    public bool Healed => Now >= FaultsEnd;

    public string? Failure { get; private set; }

    public void Fail(string message)
    {
        Failure ??= $"t={Now} ms: {message}";
    }

    public void Trace(string line)
    {
        _trace.Add($"{Now,7} {line}");
        if (_trace.Count > 400) _trace.RemoveAt(0);
    }

    public void At(long time, Action action) => _events.Enqueue(action, (Math.Max(time, Now), _order++));

    /// <summary>Runs the seed; null when every check passed, else the failure with the seed and recent trace.</summary>
    public string? Run()
    {
        foreach (SimProcess p in AllProcesses()) StartProcess(p, first: true);
        if (_script is null) ScheduleNemesis();
        else _script(this);
        while (Failure is null && _events.TryDequeue(out Action? action, out (long Time, long Order) at))
        {
            if (Healed && at.Time > FaultsEnd + FusionSimOptions.SettleMs) break;
            Now = at.Time;
            Events++;
            action();
            CheckBudget();
            FireWatches();
            if (Healed && Settled()) break;
        }
        if (Failure is null && CheckSettled()) CheckBackupsDecode();
        return Failure is null ? null
            : $"fusion simulation seed {Seed} ({Options}) failed: {Failure}\nreplay: FusionSimulationTests.Replay with seed {Seed}\nlast events:\n{string.Join('\n', _trace.TakeLast(60))}";
    }

    public IEnumerable<SimProcess> AllProcesses() => Primaries.Cast<SimProcess>().Concat(Backups).Concat(Clients);

    private void StartProcess(SimProcess p, bool first)
    {
        p.State = ProcessState.Up;
        p.DisruptedAt = Now;
        if (!first) Trace($"{p} restarts");
        p.Start();
        int incarnation = p.Incarnation;
        long phase = Rng.Next((int)FusionSimOptions.TickMs);
        At(Now + phase, () => TickLoop(p, incarnation, 0));
    }

    private void TickLoop(SimProcess p, int incarnation, long count)
    {
        if (p.Incarnation != incarnation) return;
        if (p.State == ProcessState.Up)
        {
            if (count % (FusionSimOptions.HeartbeatMs / FusionSimOptions.TickMs) == 0)
                foreach (SimLink link in p.Links.ToArray())
                    Send(link, p, new Heartbeat());
            p.Tick();
        }
        At(Now + FusionSimOptions.TickMs, () => TickLoop(p, incarnation, count + 1));
    }

    // ---- network ----

    public void Send(SimLink link, SimProcess from, object message)
    {
        if (!link.Open) return;
        int dir = link.EndOf(from);
        SimProcess to = link.Other(from);
        long delay = Rng.Next(100) < 3 ? Rng.Next(50, 400) : Rng.Next(1, 20);
        long arrival = Math.Max(link.LastArrival[dir], Now + delay + link.ExtraDelay[dir]) + (message is IChunkMsg ? FusionSimOptions.ChunkWireMs : 0);
        link.LastArrival[dir] = arrival;
        int incarnation = to.Incarnation;
        At(arrival, () =>
        {
            if (!link.Open || to.Incarnation != incarnation) return;
            Deliver(to, () =>
            {
                if (!link.Open) return;
                link.LastHeard[1 - dir] = Now;
                to.OnMessage(link, message);
            });
        });
    }

    /// <summary>Runs an input at a process now, or when it resumes if it is paused; never at a crashed one.</summary>
    public void Deliver(SimProcess to, Action input)
    {
        if (to.State == ProcessState.Down) return;
        if (to.State == ProcessState.Paused) to.Held.Enqueue(input);
        else input();
    }

    /// <summary>
    /// Dials: refused after a round trip if nothing runs there; held until resume if the target is paused (the
    /// kernel accepts, the handshake waits); else open after a handshake's delay.
    /// </summary>
    public void Dial(SimProcess from, SimProcess to, Action<SimLink> up, Action refused)
    {
        int fromIncarnation = from.Incarnation;
        At(Now + Rng.Next(1, 10), () =>
        {
            if (from.Incarnation != fromIncarnation || from.State == ProcessState.Down) return;
            if (to.State == ProcessState.Down)
            {
                Deliver(from, () => { if (from.Incarnation == fromIncarnation) refused(); });
                return;
            }
            int toIncarnation = to.Incarnation;
            Deliver(to, () => At(Now + Rng.Next(1, 10), () =>
            {
                if (from.Incarnation != fromIncarnation || from.State == ProcessState.Down) return;
                if (to.Incarnation != toIncarnation)
                {
                    Deliver(from, () => { if (from.Incarnation == fromIncarnation) refused(); });
                    return;
                }
                var link = new SimLink(_nextLink++, from, to);
                link.LastHeard[0] = link.LastHeard[1] = Now;
                link.LastArrival[0] = link.LastArrival[1] = Now;
                if (Options.SlowReaders && Rng.Next(4) == 0) link.ExtraDelay[Rng.Next(2)] = Rng.Next(20, 200);
                if (SlowLinks.TryGetValue((from, to), out long slow)) link.ExtraDelay[0] = slow;
                from.Links.Add(link);
                to.Links.Add(link);
                Deliver(from, () =>
                {
                    if (from.Incarnation != fromIncarnation) return;
                    if (link.Open) up(link);
                    else refused();
                });
            }));
        });
    }

    public void Close(SimLink link, string reason)
    {
        if (!link.Open) return;
        link.Open = false;
        Trace($"close {link}: {reason}");
        foreach (SimProcess end in new[] { link.Dialer, link.Acceptor })
        {
            end.Links.Remove(link);
            int incarnation = end.Incarnation;
            At(Now + Rng.Next(1, 5), () =>
            {
                if (end.Incarnation == incarnation) Deliver(end, () => end.OnLinkDown(link));
            });
        }
    }

    // ---- nemesis ----

    /// <summary>Runs <paramref name="then"/> once, right after the first event that makes <paramref name="when"/> true.</summary>
    public void Watch(Func<bool> when, Action then) => _watches.Add((when, then));

    private void FireWatches()
    {
        for (int i = 0; i < _watches.Count; i++)
        {
            if (!_watches[i].When()) continue;
            Action then = _watches[i].Then;
            _watches.RemoveAt(i--);
            then();
        }
    }

    /// <summary>Whole lists (snapshots, residuals, read-alls) that arrived complete, in chunk messages.</summary>
    public int ChunkedTransfers { get; set; }

    /// <summary>Of those, the ones that spanned more than one chunk.</summary>
    public int MultiChunkTransfers { get; set; }

    /// <summary>Deltas that reached a backup between the first and last chunk of their primary's snapshot for a cut (they overtook it).</summary>
    public int OvertakingDeltas { get; set; }

    /// <summary>Transfers cut short mid-way by a dropped link or a crash, to be sent again from word 0.</summary>
    public int AbandonedTransfers { get; set; }

    /// <summary>The most deltas a backup's Retained reply holds (a real one holds what fits in one frame); the recoverer asks for the rest.</summary>
    public int RetainedPerReply { get; set; } = int.MaxValue;

    /// <summary>Every message from <paramref name="dialer"/> to <paramref name="acceptor"/> takes this much longer (set before they connect).</summary>
    public Dictionary<(SimProcess Dialer, SimProcess Acceptor), long> SlowLinks { get; } = [];

    private void ScheduleNemesis()
    {
        long t = 200;
        for (int i = 0; i < Options.FaultEvents; i++)
        {
            t += Rng.Next(100, 2500);
            At(t, InjectFault);
        }
        t += 500;
        At(t, Heal);
    }

    private void InjectFault()
    {
        var kinds = new List<Action>();
        SimProcess[] servers = Primaries.Cast<SimProcess>().Concat(Backups).ToArray();
        int budget = Options.Faults - Faulty();
        if (Options.Crashes && budget > 0) kinds.Add(() => Crash(Pick(servers.Where(s => s.State == ProcessState.Up))));
        if (Options.Pauses && budget > 0) kinds.Add(() => Pause(Pick(servers.Where(s => s.State == ProcessState.Up))));
        if (Options.Drops && budget > 0) kinds.Add(DropOne);
        if (kinds.Count == 0) return;
        kinds[Rng.Next(kinds.Count)]();
    }

    private SimProcess? Pick(IEnumerable<SimProcess> candidates)
    {
        SimProcess[] all = candidates.ToArray();
        return all.Length == 0 ? null : all[Rng.Next(all.Length)];
    }

    public void Crash(SimProcess? p, long? restartAfter = null)
    {
        if (p is null || p.State == ProcessState.Down) return;
        Trace($"CRASH {p}");
        p.State = ProcessState.Down;
        p.DisruptedAt = Now;
        p.Incarnation++;
        foreach (SimLink link in p.Links.ToArray()) Close(link, $"{p} crashed");
        p.Held.Clear();
        if (p is SimPrimaryNode primary) RememberSync(primary);
        p.Stop();
        At(Now + (restartAfter ?? Rng.Next(50, 3000)), () => StartProcess(p, first: false));
    }

    public void Pause(SimProcess? p, long? resumeAfter = null)
    {
        if (p is null || p.State != ProcessState.Up) return;
        Trace($"PAUSE {p}");
        p.State = ProcessState.Paused;
        p.DisruptedAt = Now;
        int incarnation = p.Incarnation;
        At(Now + (resumeAfter ?? Rng.Next(100, 5000)), () =>
        {
            if (p.Incarnation == incarnation) Resume(p);
        });
    }

    public void Resume(SimProcess p)
    {
        if (p.State != ProcessState.Paused) return;
        Trace($"RESUME {p}");
        p.State = ProcessState.Up;
        p.DisruptedAt = Now;
        while (p.State == ProcessState.Up && p.Held.TryDequeue(out Action? input)) input();
    }

    public void Drop(SimProcess a, SimProcess b)
    {
        foreach (SimLink link in a.Links.Where(l => ReferenceEquals(l.Other(a), b)).ToArray()) Close(link, "dropped by the script");
    }

    private void DropOne()
    {
        SimLink[] links = AllProcesses().SelectMany(p => p.Links).Distinct().ToArray();
        if (links.Length == 0) return;
        Close(links[Rng.Next(links.Length)], "dropped by the nemesis");
    }

    public void Heal()
    {
        FaultsEnd = Now;
        Trace("HEAL: faults stop");
        foreach (SimProcess p in AllProcesses())
        {
            if (p.State == ProcessState.Paused) Resume(p);
        }
    }
}
