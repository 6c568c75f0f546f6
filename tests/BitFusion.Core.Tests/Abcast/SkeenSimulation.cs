using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

/// <summary>
/// Data nodes, managers and a membership coordinator under a <see cref="SimNetwork"/>: concurrent multicasts to
/// one or several groups, replica crashes and rejoins by state transfer, sender crashes (often right between a
/// final going out and reaching everyone) followed by orphan recovery, and connection drops with resends.
/// After the run settles it checks the ABCAST guarantees and returns a description of the first violation.
/// </summary>
internal sealed partial class SkeenSimulation
{
    private const long ActivePeriod = 1_500;
    private const long EventLimit = 2_000_000;

    private readonly SimOptions _options;
    private readonly Random _rng;
    private readonly SimNetwork _net;
    private readonly object _coordinator = new();
    private readonly Dictionary<int, SimReceiver> _receivers = new();
    private readonly Dictionary<int, SimSender> _senders = new();
    private readonly HashSet<int> _deadUndecided = new();
    private readonly Dictionary<int, OrphanRecovery> _recoveries = new();
    private readonly Dictionary<MessageId, GroupSet> _sent = new();
    private readonly Dictionary<MessageId, HashSet<long>> _finals = new();
    private readonly Dictionary<MessageId, long> _completed = new();
    private readonly List<MessageId> _abandoned = new();
    private SkeenView _view;
    private int _nextSenderId;
    private string? _failure;

    public SkeenSimulation(int seed, SimOptions options)
    {
        Seed = seed;
        _options = options;
        _rng = new Random(seed);
        _net = new SimNetwork(_rng);
        var members = new List<(int, int)>();
        for (int g = 0; g < options.Groups; g++)
            for (int r = 0; r < options.ReplicasPerGroup; r++)
                members.Add((g * options.ReplicasPerGroup + r, g));
        _nextSenderId = 100;
        _view = SkeenView.Initial(members, Enumerable.Range(_nextSenderId, options.Senders));
        _nextSenderId += options.Senders;
    }

    public int Seed { get; }

    public SimStats Stats { get; } = new();

    /// <summary>Runs to quiescence; null when every guarantee held, else what broke.</summary>
    public string? Run()
    {
        try
        {
            Start();
            while (_failure is null && _net.Step())
                if (_net.Processed > EventLimit) Fail($"no quiescence after {EventLimit} events");
            if (_failure is null) CheckOutcome();
        }
        catch (Exception e) when (e is not SimulationFailure)
        {
            _failure ??= $"threw at t={_net.Now}: {e}";
        }
        catch (SimulationFailure)
        {
        }
        return _failure is null ? null : $"seed {Seed} ({_options}): {_failure}";
    }

    private void Start()
    {
        foreach (ViewMember m in _view.Receivers) AddReceiver(m.Node, m.Group, m.Incarnation).Skeen.InstallView(_view);
        foreach (int s in _view.Senders) StartSender(s, 0);
        for (int i = 0; i < _options.ReceiverCrashes; i++) _net.At(_rng.NextInt64(ActivePeriod), CrashReceiver);
        for (int i = 0; i < _options.SenderCrashes; i++) _net.At(_rng.NextInt64(ActivePeriod), ArmSenderCrash);
        for (int i = 0; i < _options.LinkDrops; i++) _net.At(_rng.NextInt64(ActivePeriod), DropLink);
        for (int i = 0; i < _options.SenderJoins; i++) _net.At(_rng.NextInt64(ActivePeriod), JoinSender);
    }

    private SimReceiver AddReceiver(int node, int group, long incarnation)
    {
        var r = new SimReceiver(this, node, group, incarnation);
        _receivers[node] = r;
        return r;
    }

    private void StartSender(int id, long from)
    {
        var s = new SimSender(this, id);
        _senders[id] = s;
        s.Skeen.InstallView(_view);
        for (int i = 0; i < _options.MessagesPerSender; i++)
            _net.At(from + _rng.NextInt64(ActivePeriod), () => Multicast(s));
    }

    private void Multicast(SimSender s)
    {
        if (!s.Alive) return;
        GroupSet groups = GroupSet.Of(_rng.Next(_options.Groups));
        if (_options.Groups > 1 && _rng.NextDouble() < _options.MultiGroupChance)
            while (groups.Count < 2 || _rng.Next(3) == 0) groups = groups.With(_rng.Next(_options.Groups));
        MessageId id = s.Skeen.Multicast(groups, 0);
        _sent.Add(id, groups);
    }

    // ---- membership coordinator ----

    private void ChangeView(SkeenView view)
    {
        _view = view;
        // A recovery needs a report from every member of one view, so a membership change restarts it.
        foreach (int dead in _deadUndecided) _recoveries[dead] = new OrphanRecovery(dead, view);
        int[] open = _deadUndecided.ToArray();
        foreach (ViewMember m in view.Receivers)
        {
            SimReceiver r = _receivers[m.Node];
            _net.Send(_coordinator, r, () => r.OnView(view, open));
        }
        foreach (int id in view.Senders)
        {
            SimSender s = _senders[id];
            _net.Send(_coordinator, s, () => s.OnView(view));
        }
    }

    private void CrashReceiver()
    {
        SimReceiver[] candidates = _receivers.Values.Where(r => r.Alive && CanCrash(r)).ToArray();
        if (candidates.Length == 0) return;
        SimReceiver victim = candidates[_rng.Next(candidates.Length)];
        Kill(victim);
        ChangeView(_view.WithoutReceiver(victim.Node));
        _net.At(_net.Now + 50 + _rng.Next(400), () => Rejoin(victim.Node, victim.Group));
        Stats.ReceiverCrashes++;
    }

    /// <summary>
    /// A crash must leave its group a caught-up replica. Joiners still waiting on the victim do not count: they
    /// abort on their own when they learn it is gone.
    /// </summary>
    private bool CanCrash(SimReceiver victim) =>
        _receivers.Values.Any(r => r.Alive && r != victim && r.Group == victim.Group && r.Skeen.IsCaughtUp);

    private void Kill(SimReceiver r)
    {
        r.Alive = false;
        _net.BreakAll(r, _net.Now + _rng.Next(30));
    }

    private void Rejoin(int node, int group)
    {
        SimReceiver[] donors = _receivers.Values.Where(r => r.Alive && r.Group == group && r.Skeen.IsCaughtUp).ToArray();
        SimReceiver donor = donors[_rng.Next(donors.Length)];
        SkeenView view = _view.WithJoiner(node, group, donor.Node);
        SimReceiver joiner = AddReceiver(node, group, view.Epoch);
        joiner.Skeen.InstallView(view);
        ChangeView(view);
        Stats.Rejoins++;
    }

    private void OnJoinAborted(SimReceiver r)
    {
        Kill(r);
        if (!_view.Contains(r.Node, r.Skeen.Incarnation)) return;
        ChangeView(_view.WithoutReceiver(r.Node));
        _net.At(_net.Now + 50, () => Rejoin(r.Node, r.Group));
    }

    /// <summary>Half the time the sender dies at once; otherwise right after its next final leaves, so some finals are lost.</summary>
    private void ArmSenderCrash()
    {
        SimSender[] live = _senders.Values.Where(s => s.Alive && !s.CrashArmed).ToArray();
        if (live.Length == 0) return;
        SimSender s = live[_rng.Next(live.Length)];
        if (_rng.Next(2) == 0) CrashSender(s);
        else s.CrashArmed = true;
    }

    private void CrashSender(SimSender s)
    {
        if (!s.Alive) return;
        s.Alive = false;
        _net.BreakAll(s, _net.Now + _rng.Next(20));
        _deadUndecided.Add(s.Id);
        ChangeView(_view.WithoutSender(s.Id));
        Stats.SenderCrashes++;
    }

    private void JoinSender()
    {
        int id = _nextSenderId++;
        SkeenView view = _view.WithSender(id);
        _view = view;
        StartSender(id, _net.Now);
        ChangeView(view);
    }

    private void DropLink()
    {
        SimSender[] senders = _senders.Values.Where(s => s.Alive).ToArray();
        SimReceiver[] receivers = _receivers.Values.Where(r => r.Alive).ToArray();
        if (senders.Length == 0 || receivers.Length == 0) return;
        SimSender s = senders[_rng.Next(senders.Length)];
        SimReceiver r = receivers[_rng.Next(receivers.Length)];
        long cutoff = _net.Now + _rng.Next(20);
        _net.Break(s, r, cutoff);
        _net.At(cutoff + 1 + _rng.Next(20), () =>
        {
            if (!s.Alive || !r.Alive) return;
            _net.Reconnect(s, r);
            s.Skeen.Resend(r.Node);
        });
        Stats.LinkDrops++;
    }

    private void OnReport(OrphanReport report)
    {
        if (!_recoveries.TryGetValue(report.DeadSender, out OrphanRecovery? recovery)) return;
        if (!recovery.Add(report) || !recovery.IsComplete) return;
        RecoveryDecision decision = recovery.Decide();
        _recoveries.Remove(report.DeadSender);
        _deadUndecided.Remove(report.DeadSender);
        foreach (OrphanVerdict v in decision.Verdicts)
        {
            if (v.Finalize) FinalDecided(new MessageId(decision.DeadSender, v.Seq), v.Timestamp);
            if (v.Finalize) Stats.OrphansFinalised++;
            else Stats.OrphansDiscarded++;
        }
        foreach (ViewMember m in recovery.View.Receivers)
        {
            SimReceiver r = _receivers[m.Node];
            _net.Send(_coordinator, r, () => r.OnDecision(decision));
        }
    }

    private void FinalDecided(MessageId id, long timestamp)
    {
        if (!_finals.TryGetValue(id, out HashSet<long>? set)) _finals[id] = set = new HashSet<long>();
        set.Add(timestamp);
    }

    private void Fail(string what)
    {
        _failure ??= $"t={_net.Now}: {what}";
        throw new SimulationFailure();
    }

    private sealed class SimulationFailure : Exception;
}
