using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Core.Tests.Abcast;

namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// The whole replication cluster under a seeded simulated network: managers (each a <see cref="ManagerMembership"/>
/// and a <see cref="SkeenSender{TPayload}"/>, wired the way the Net adapter wires them), data nodes (each a
/// <see cref="DataNodeMember{TPayload}"/> and its log), clients writing and reading through managers. Faults:
/// crash and restart of any process (the coordinator included), pauses (a pause past the failure detector's bound
/// makes its peers close their connections), dropped connections, arbitrary delays with FIFO per connection.
/// After the faults stop the run must settle; then the checks run. A failure names the seed and replays exactly.
/// </summary>
internal sealed partial class ClusterSimulation
{
    private const long BootTime = 200;
    private const long ActivePeriod = 2_000;
    private const long EventLimit = 3_000_000;

    private readonly ClusterSimOptions _options;
    private readonly Random _rng;

    /// <summary>The clients' retry decisions draw from their own generator, so they do not shift the fault schedule a seed gives.</summary>
    private readonly Random _clientRng;

    /// <summary>Delays of the answers added after the fault schedules were tuned (replicas' answers to reads, joiners' confirmations of state pushes), drawn apart so they do not shift a seed's faults.</summary>
    private readonly Random _replyRng;

    /// <summary>Delays of read-lease requests and grants, drawn apart for the same reason.</summary>
    private readonly Random _leaseRng;

    /// <summary>Delays of the data nodes' confirmations of installed views, drawn apart for the same reason.</summary>
    private readonly Random _confirmRng;
    private readonly SimNetwork _net;
    private readonly Dictionary<int, int> _groupOf = [];
    private readonly List<int> _managerIds = [];
    private readonly Dictionary<int, SimDataNode> _dataNodes = [];
    private readonly Dictionary<int, SimManager> _managers = [];
    private readonly Dictionary<int, long> _ackedAt = [];
    private readonly Dictionary<int, int> _writeGroup = [];
    private readonly Dictionary<int, long> _ackedPosition = [];
    private readonly List<string> _trace = [];

    /// <summary>Events kept for the failure message: 400, or twice BITFUSION_SIM_TRACE.</summary>
    private static readonly int TraceKept = Math.Max(400, 2 * (int.TryParse(Environment.GetEnvironmentVariable("BITFUSION_SIM_TRACE"), out int n) ? n : 0));
    private ulong _nextLife = 1;
    private int _nextWrite = 1;
    private int _lastRead;
    private string? _failure;

    public ClusterSimulation(int seed, ClusterSimOptions options)
    {
        Seed = seed;
        _options = options;
        _rng = new Random(seed);
        _clientRng = new Random(seed ^ 0x5EED);
        _replyRng = new Random(seed ^ 0x7EAD);
        _leaseRng = new Random(seed ^ 0x1EA5);
        _confirmRng = new Random(seed ^ 0xC0F1);
        Lease = new ReadLease(options.SuspectAfter);
        _net = new SimNetwork(_rng);
        for (int g = 0; g < options.Groups; g++)
            for (int r = 0; r < options.ReplicasPerGroup; r++)
                _groupOf.Add(1 + g * options.ReplicasPerGroup + r, g);
        for (int m = 0; m < options.Managers; m++) _managerIds.Add(100 + m);
    }

    public int Seed { get; }

    public ClusterSimStats Stats { get; } = new();

    public long Now => _net.Now;

    /// <summary>
    /// The data nodes' read lease: the failure detector's bound, twice <c>DataNode</c>'s ratio, because the simulated links
    /// hold every frame behind one delayed up to twice that bound, and a shorter lease left most reads unserved. A longer
    /// lease costs only time: coordinators wait for it before excluding a replica (which this exercises more).
    /// </summary>
    internal ReadLease Lease { get; }

    /// <summary>Data nodes renew their leases while clients may still read (the run must come to rest after).</summary>
    internal bool ReadsMayCome => _net.Now < BootTime + ActivePeriod || _managers.Values.Any(m => m.Alive && m.OpenReads.Count > 0);

    /// <summary>Runs to quiescence; null when every check held, else what broke (with the seed and options).</summary>
    public string? Run()
    {
        try
        {
            Start();
            while (_failure is null && _net.Step())
                if (_net.Processed > EventLimit) Fail($"no quiescence after {EventLimit} events");
            if (_failure is null) CheckOutcome();
        }
        catch (SimulationFailure)
        {
        }
        catch (Exception e)
        {
            _failure ??= $"threw at t={_net.Now}: {e}";
        }
        return _failure is null ? null : $"seed {Seed} ({_options}): {_failure}\nlast events:\n{string.Join('\n', _trace.TakeLast(int.TryParse(Environment.GetEnvironmentVariable("BITFUSION_SIM_TRACE"), out int n) ? n : 40))}";
    }

    internal ulong NewLife() => _nextLife++;

    internal void Trace(string what)
    {
        _trace.Add($"t={_net.Now} {what}");
        if (_trace.Count > TraceKept) _trace.RemoveRange(0, _trace.Count / 2);
    }

    private void Start()
    {
        foreach ((int node, int group) in _groupOf) _dataNodes[node] = new SimDataNode(this, node, group);
        foreach (int m in _managerIds) StartManager(m);
        long end = BootTime + ActivePeriod;
        for (int i = 0; i < _options.Writes; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), Write);
        for (int i = 0; i < _options.Reads; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), Read);
        for (int i = 0; i < _options.NodeCrashes; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), CrashNode);
        for (int i = 0; i < _options.ManagerCrashes; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), CrashManager);
        for (int i = 0; i < _options.Pauses; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), Pause);
        for (int i = 0; i < _options.LinkDrops; i++) _net.At(BootTime + _rng.NextInt64(ActivePeriod), DropLink);
        _ = end;
    }

    private void StartManager(int node)
    {
        var m = new SimManager(this, node, _groupOf, _managerIds);
        _managers[node] = m;
        foreach (int d in _groupOf.Keys) Dial(m, d);
        foreach (int other in _managerIds)
            if (other != node) Dial(m, other);
    }

    private SimProcess? Current(int node) =>
        _dataNodes.TryGetValue(node, out SimDataNode? d) ? d : _managers.GetValueOrDefault(node);

    // ---- connections ----

    /// <summary>A manager life dials a node id until it gets a connection to whatever life is there, or dies.</summary>
    internal void Dial(SimManager dialer, int target)
    {
        RunAt(dialer, _net.Now + 1 + _rng.Next(20), () =>
        {
            SimProcess? t = Current(target);
            if (t is { Alive: true } && t.PausedUntil > _net.Now)
            {
                // A stopped process completes no handshake: the attempt times out and is made again.
                RunAt(dialer, _net.Now + 50, () => Dial(dialer, target));
                return;
            }
            if (t is null || !t.Alive)
            {
                dialer.OnRefused(target);
                RunAt(dialer, _net.Now + 20 + _rng.Next(40), () => Dial(dialer, target));
                return;
            }
            var link = new SimLink(dialer, t);
            dialer.Links.Add(link);
            t.Links.Add(link);
            link.Open = true;
            // The acceptor learns of the connection on its first frame, so both ends see the opening in order.
            Send(link, dialer, () => ((ISimAcceptor)t).OnAccepted(link));
            dialer.OnConnected(link, target);
        });
    }

    /// <summary>Sends a frame on <paramref name="link"/> from <paramref name="from"/>; it runs at the other end if the link still carries it.</summary>
    internal void Send(SimLink link, SimProcess from, Action deliver, Random? delays = null)
    {
        if (!link.Open || link.Closing) return;
        SimProcess to = link.Other(from);
        _net.Send(link.EndOf(from), link.EndOf(to), () =>
        {
            if (link.Open) Run(to, deliver);
        }, delays);
    }

    /// <summary>Closes a link as TCP does when one end dies or a failure detector gives up: frames after the cutoff are lost.</summary>
    internal void Close(SimLink link, long cutoff)
    {
        if (link.Closing) return;
        link.Closing = true;
        _net.Break(link.DialerEnd, link.AcceptorEnd, cutoff);
        _net.At(cutoff + 1, () =>
        {
            link.Open = false;
            foreach (SimProcess p in new[] { link.Dialer, link.Acceptor })
            {
                p.Links.Remove(link);
                SimProcess end = p;
                RunAt(end, _net.Now + _rng.Next(30), () => end.OnLinkClosed(link));
            }
        });
    }

    /// <summary>
    /// Runs an action in a process's life: never after it died, and only once it is not paused. What arrives during
    /// a pause runs on resume in arrival order, before anything later (so a connection stays FIFO across a pause).
    /// </summary>
    internal void Run(SimProcess p, Action action)
    {
        if (!p.Alive) return;
        if (p.PausedUntil > _net.Now || p.Deferred.Count > 0)
        {
            p.Deferred.Enqueue(action);
            if (p.Deferred.Count == 1) _net.At(p.PausedUntil, () => Resume(p));
            return;
        }
        action();
    }

    private void Resume(SimProcess p)
    {
        if (p.PausedUntil > _net.Now)
        {
            _net.At(p.PausedUntil, () => Resume(p));
            return;
        }
        while (p.Alive && p.Deferred.TryDequeue(out Action? action)) action();
        p.Deferred.Clear();
    }

    internal void RunAt(SimProcess p, long time, Action action) => _net.At(time, () => Run(p, action));

    // ---- clients ----

    private void Write()
    {
        SimManager[] ready = _managers.Values.Where(m => m.Alive && m.CanWrite).ToArray();
        if (ready.Length == 0) return;
        SimManager m = ready[_rng.Next(ready.Length)];
        int group = _rng.Next(_options.Groups);
        int write = _nextWrite++;
        _writeGroup[write] = group;
        var client = new SimClient(write, group, m.Node);
        Stats.Writes++;
        Send(client, resend: false);
        // An impatient client sends again while the first is still in flight (its retry must join it).
        if (_clientRng.Next(4) == 0) _net.At(_net.Now + _clientRng.Next(100), () => Retry(client));
    }

    private void Send(SimClient client, bool resend)
    {
        client.Sends++;
        SimManager m = _managers[client.Manager];
        Run(m, () => m.Submit(client, resend));
    }

    /// <summary>Sends again through the same manager node, unless answered; a manager that is down refuses the connection, and the client gives up.</summary>
    private void Retry(SimClient client)
    {
        if (client.Settled || client.Sends >= 5 || !_managers[client.Manager].Alive) return;
        Stats.Retries++;
        Send(client, resend: true);
    }

    /// <summary>
    /// A manager answered <paramref name="client"/>: Applied is an acknowledgement (even if the answer is then lost);
    /// Unknown settles it; NotDone may be sent again. An answer may be lost with the client's connection: it retries.
    /// </summary>
    internal void Answered(SimClient client, in WriteReply reply)
    {
        if (reply.Answer == WriteAnswer.Applied)
        {
            Acknowledged(client.Write);
            if (_ackedPosition.TryGetValue(client.Write, out long first) && first != reply.Position)
                Fail($"write {client.Write} was acknowledged at position {first}, then at {reply.Position}");
            _ackedPosition[client.Write] = reply.Position;
        }
        if (_options.LinkDrops > 0 && _clientRng.Next(5) == 0)
        {
            Stats.AnswersLost++;
            _net.At(_net.Now + 10 + _clientRng.Next(100), () => Retry(client));
            return;
        }
        switch (reply.Answer)
        {
            case WriteAnswer.Applied or WriteAnswer.OutOfRange:
                client.Settled = true;
                break;
            case WriteAnswer.ReplicasLeft or WriteAnswer.Forgotten:
                Stats.Unknown++;
                client.Settled = true;
                break;
            default:
                Stats.NotDone++;
                if (_clientRng.Next(2) == 0) _net.At(_net.Now + 20 + _clientRng.Next(200), () => Retry(client));
                else client.Settled = true;
                break;
        }
    }

    /// <summary>The manager closed the client's connection (it left the view): the client reconnects and sends again.</summary>
    internal void Aborted(SimClient client) => _net.At(_net.Now + 20 + _clientRng.Next(100), () => Retry(client));

    private void Read()
    {
        SimManager[] ready = _managers.Values.Where(m => m.Alive && m.CanWrite).ToArray();
        if (ready.Length == 0) return;
        SimManager m = ready[_rng.Next(ready.Length)];
        var read = new SimRead(++_lastRead, _rng.Next(_options.Groups), _net.Now);
        Run(m, () => m.Read(read));
    }

    internal void Acknowledged(int write)
    {
        if (_ackedAt.TryAdd(write, _net.Now)) Stats.Acknowledged++;
    }

    /// <summary>A replica answered a read sent at <paramref name="sentAt"/>: it must hold every write of its group acknowledged before.</summary>
    internal void CheckRead(SimDataNode node, long sentAt)
    {
        Stats.Reads++;
        var held = node.Log.ToHashSet();
        foreach ((int write, long at) in _ackedAt)
            if (at < sentAt && _writeGroup[write] == node.Group && !held.Contains(write))
                Fail($"stale read: node {node.Node} (life {node.Member.Life}) served a read sent at {sentAt} without write {write}, acknowledged at {at}");
    }

    // ---- faults ----

    /// <summary>
    /// At most f failures at once: a data node may crash, pause or lose a connection (each may get it excluded) only
    /// while another replica of its group serves, alive and running, and has had no fault of its own recently (an
    /// exclusion for it may still be on its way).
    /// </summary>
    private bool MayFail(SimDataNode d) =>
        d.PausedUntil <= _net.Now && _dataNodes.Values.Any(o => o != d && o.Alive && o.Group == d.Group && o.Member.IsServing && o.PausedUntil <= _net.Now
                                                                && o.QuietFrom + 3 * _options.SuspectAfter <= _net.Now);

    private void CrashNode()
    {
        SimDataNode[] candidates = _dataNodes.Values.Where(d => d.Alive && MayFail(d)).ToArray();
        if (candidates.Length == 0) return;
        SimDataNode victim = candidates[_rng.Next(candidates.Length)];
        Kill(victim);
        Stats.NodeCrashes++;
        _net.At(_net.Now + 50 + _rng.Next(400), () => _dataNodes[victim.Node] = new SimDataNode(this, victim.Node, victim.Group));
    }

    private void CrashManager()
    {
        SimManager[] live = _managers.Values.Where(m => m.Alive).ToArray();
        if (live.Length < 2) return;
        SimManager victim = _rng.Next(2) == 0 && live.FirstOrDefault(m => m.Membership.IsCoordinator) is { } c ? c : live[_rng.Next(live.Length)];
        Kill(victim);
        Stats.ManagerCrashes++;
        if (victim.Membership.IsCoordinator) Stats.CoordinatorCrashes++;
        _net.At(_net.Now + 50 + _rng.Next(400), () => StartManager(victim.Node));
    }

    private void Kill(SimProcess p)
    {
        Trace($"crash {p.Node}");
        p.Alive = false;
        long cutoff = _net.Now + _rng.Next(20);
        foreach (SimLink link in p.Links.ToArray()) Close(link, cutoff);
    }

    /// <summary>A pause past the failure detector's bound makes every peer close its connections to the paused process.</summary>
    private void Pause()
    {
        SimProcess[] candidates = [.. _dataNodes.Values.Where(d => d.Alive && MayFail(d)), .. _managers.Values.Where(m => m.Alive)];
        if (candidates.Length == 0) return;
        SimProcess p = candidates[_rng.Next(candidates.Length)];
        if (p.PausedUntil > _net.Now) return;
        long length = _rng.Next(2) == 0 ? _rng.Next(10, 100) : _rng.Next(200, 600);
        p.PausedUntil = p.QuietFrom = _net.Now + length;
        Trace($"pause {p.Node} for {length}");
        Stats.Pauses++;
        if (length <= _options.SuspectAfter) return;
        Stats.Suspicions++;
        _net.At(_net.Now + _options.SuspectAfter, () =>
        {
            if (!p.Alive) return;
            foreach (SimLink link in p.Links.ToArray()) Close(link, _net.Now);
        });
    }

    private void DropLink()
    {
        SimLink[] links = _managers.Values.Where(m => m.Alive).SelectMany(m => m.Links)
            .Where(l => l.Open && !l.Closing && (l.Acceptor is not SimDataNode d || MayFail(d))).ToArray();
        if (links.Length == 0) return;
        SimLink link = links[_rng.Next(links.Length)];
        Trace($"drop {link.Dialer.Node}->{link.Acceptor.Node}");
        link.Acceptor.QuietFrom = _net.Now;
        Close(link, _net.Now + _rng.Next(20));
        Stats.LinkDrops++;
    }

    internal void Fail(string what)
    {
        _failure ??= $"t={_net.Now}: {what}";
        throw new SimulationFailure();
    }

    private sealed class SimulationFailure : Exception;
}

/// <summary>A process that accepts connections (every one does: data nodes from managers, managers from managers).</summary>
internal interface ISimAcceptor
{
    void OnAccepted(SimLink link);
}
