using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>
/// One manager's part in membership, as a pure state machine. Inputs: what this manager's own connections show
/// (a link to a data node or manager opened, closed, refused, what the process at the other end said), views and
/// view reports from other managers, orphan reports from data nodes. Effects leave through
/// <see cref="IManagerMembershipOutput"/>. Assumptions: processes crash and stop (a restart is a new life); each
/// connection is FIFO; a closed connection, a refused port, another life answering there, or a peer silent past
/// the failure detector's bound is a failure, and each manager judges only by its own connections.
/// <list type="bullet">
/// <item>Boot: the first manager of the configuration, once it reaches every data node and every manager and
/// none holds a view, decides view 0 (every data node founding its group, every manager a sender).</item>
/// <item>The coordinator is the lowest sender of the view that this manager cannot prove dead. It alone decides
/// views: it removes dead data nodes and senders, admits a new data-node life with a serving member of its group
/// as donor, and admits a new manager life as a sender under a never-used id.</item>
/// <item>A manager that becomes coordinator because every lower sender died first asks every data node of the
/// configuration and every live manager for the newest view it holds (<see cref="TakeoverQuery"/>), then
/// continues from it.</item>
/// <item>After every view change the coordinator re-runs orphan recovery for every dead sender.</item>
/// <item>Confirmed views: writes to a group whose replicas an installed view changed complete only once every replica of
/// the group in that view reported installing it (or a later view of this manager's line). A view that drops a replica
/// may be a deposed coordinator's; until the others hold it, a successor may continue from a view that keeps the
/// dropped replica and grant it read leases, and it would serve reads without writes acknowledged here (seed 307173).
/// Once they hold it, the successor's query is answered with it (or they refused it, promised to the successor first,
/// and it is never confirmed).</item>
/// </list>
/// </summary>
internal sealed class ManagerMembership
{
    private readonly int _nodeId;
    private readonly ulong _life;
    private readonly int _bootManager;
    private readonly IManagerMembershipOutput _out;
    private readonly long _grace;
    private readonly ReadLease _lease;
    private readonly SortedDictionary<int, DataNodeRecord> _nodes = [];
    private readonly SortedDictionary<int, PeerRecord> _peers = [];
    private readonly Dictionary<int, OrphanRecovery> _recoveries = [];
    private readonly Dictionary<int, RecoveryDecision> _decided = [];
    private readonly HashSet<int> _lostGroups = [];
    private readonly SortedSet<int> _groups = [];

    /// <summary>Per group, the count of views installed when its replicas (node, incarnation, life) last changed.</summary>
    private readonly Dictionary<int, long> _groupChangedAt = [];

    /// <summary>Groups whose writes are held until their replicas confirm the installed view.</summary>
    private readonly HashSet<int> _heldGroups = [];

    /// <summary>The last view handed to <see cref="IManagerMembershipOutput.Installed"/>, and how many were.</summary>
    private ClusterView? _installed;
    private long _installs;
    private ClusterView? _view;
    private int _senderId = -1;
    private bool _coordinating;
    private bool _excluded;
    private TakeoverQuery? _takeover;
    private ulong _nextQueryId;
    private long _now;

    /// <summary>
    /// Until when this coordinator excludes no live member: leases its predecessor granted may still run. Set from the
    /// first time input after it starts coordinating (<see cref="_holdPending"/> until then, when nothing is excluded).
    /// </summary>
    private long _holdUntil = long.MinValue;
    private bool _holdPending;

    /// <param name="nodeId">This manager's node id.</param>
    /// <param name="life">This process's life id (random, never 0).</param>
    /// <param name="dataNodes">Every data node of the configuration with its group.</param>
    /// <param name="managers">Every manager of the configuration, in the file's order (the first boots the cluster).</param>
    /// <param name="closedGrace">How long a closed connection's life may take to answer again before it is taken for dead
    /// (the failure detector's bound; the unit is the one of the times given to the inputs).</param>
    /// <param name="lease">The data nodes' read lease (<see cref="ReadLease"/>); it should be well under <paramref name="closedGrace"/>,
    /// or excluding a silent data node waits for its lease.</param>
    public ManagerMembership(int nodeId, ulong life, IEnumerable<(int Node, int Group)> dataNodes, IReadOnlyList<int> managers,
        long closedGrace, ReadLease lease, IManagerMembershipOutput output)
    {
        _grace = closedGrace;
        _lease = lease;
        _nodeId = nodeId;
        _life = life;
        _bootManager = managers[0];
        _out = output;
        foreach ((int node, int group) in dataNodes)
        {
            _nodes.Add(node, new DataNodeRecord(group));
            _groups.Add(group);
        }
        foreach (int m in managers)
            if (m != nodeId) _peers.Add(m, new PeerRecord());
    }

    public ClusterView? View => _view;

    /// <summary>This manager's sender id once a view admitted it, else −1.</summary>
    public int SenderId => _senderId;

    public bool IsExcluded => _excluded;

    public ulong Life => _life;

    /// <summary>A sender coordinates when every lower sender is dead; one not yet admitted only when every sender of its view is.</summary>
    public bool IsCoordinator
    {
        get
        {
            if (_view is null || _excluded) return false;
            foreach (int s in _view.Skeen.Senders)
            {
                if (_senderId >= 0 && s >= _senderId) break;
                if (!SenderDead(s)) return false;
            }
            return true;
        }
    }

    /// <summary>The life at the other end of this manager's open connection to data node <paramref name="node"/>, or 0.</summary>
    public ulong NodeLife(int node) => _nodes[node].Lives.Life;

    /// <summary>What data node <paramref name="node"/> last said on the open connection, if it said anything yet.</summary>
    public bool TryGetStatus(int node, out NodeStatus status)
    {
        DataNodeRecord n = _nodes[node];
        status = n.Status;
        return n.HasStatus;
    }

    // ---- data node links ----

    public void NodeConnected(int node)
    {
        DataNodeRecord n = _nodes[node];
        n.Lives.OnConnected();
        n.HasStatus = false;
        n.AskedForView = false;
        _out.SendHello(node, toManager: false, _senderId, null);
        AskIfTakingOver(node, toManager: false);
    }

    /// <summary>Data node <paramref name="node"/> said where it stands; returns true when it names a new life.</summary>
    public bool NodeStatusReceived(int node, in NodeStatus status)
    {
        DataNodeRecord n = _nodes[node];
        bool newLife = n.Lives.OnLife(status.Life);
        n.Status = status;
        n.HasStatus = true;
        FenceIfExcluded(node);
        AfterMembershipEvent();
        return newLife;
    }

    /// <summary>The connection closed at <paramref name="now"/>; the peer was last heard at <paramref name="lastHeard"/> (its life counts as gone since then).</summary>
    public void NodeClosed(int node, long now, long lastHeard)
    {
        Clock(now);
        DataNodeRecord n = _nodes[node];
        n.Lives.OnClosed(Math.Min(now, lastHeard));
        _out.Wake(n.Lives.DeadlineAfter(_grace));
        n.HasStatus = false;
        if (_takeover is { } q)
        {
            q.Asked.Remove(node);
            if (_view is not null && !_view.Skeen.TryGetReceiver(node, out _)) q.Awaiting.Remove(node);
        }
        AfterMembershipEvent();
    }

    public void NodeRefused(int node)
    {
        if (_nodes[node].Lives.OnRefused()) AfterMembershipEvent();
    }

    // ---- links to other managers ----

    public void PeerConnected(int manager)
    {
        PeerRecord p = _peers[manager];
        p.Lives.OnConnected();
        p.HasHello = false;
        p.Sender = -1;
        p.View = null;
        _out.SendHello(manager, toManager: true, _senderId, _view);
        AskIfTakingOver(manager, toManager: true);
    }

    public void PeerHello(int manager, int sender, ulong life, ClusterView? view)
    {
        PeerRecord p = _peers[manager];
        p.Lives.OnLife(life);
        (p.Sender, p.View, p.HasHello) = (sender, view, true);
        if (view is not null) Install(view);
        AfterMembershipEvent();
    }

    /// <summary>The connection closed at <paramref name="now"/>; the peer was last heard at <paramref name="lastHeard"/> (its life counts as gone since then).</summary>
    public void PeerClosed(int manager, long now, long lastHeard)
    {
        Clock(now);
        PeerRecord p = _peers[manager];
        p.Lives.OnClosed(Math.Min(now, lastHeard));
        _out.Wake(p.Lives.DeadlineAfter(_grace));
        p.HasHello = false;
        _takeover?.Asked.Remove(manager);
        AfterMembershipEvent();
    }

    public void PeerRefused(int manager)
    {
        if (_peers[manager].Lives.OnRefused()) AfterMembershipEvent();
    }

    /// <summary>The time asked for with <see cref="IManagerMembershipOutput.Wake"/> (or any later one) has come.</summary>
    public void Tick(long now)
    {
        Clock(now);
        AfterMembershipEvent();
    }

    /// <summary>
    /// Data node <paramref name="node"/> asks, at <paramref name="now"/> (this manager's clock), for a read lease for
    /// <paramref name="life"/>. Granted (true: send the grant) only while this manager coordinates a view admitting that
    /// life; it then excludes that life no sooner than <see cref="ReadLease.Hold"/> from now, unless it proves it gone.
    /// </summary>
    public bool LeaseRequested(int node, ulong life, long now)
    {
        Clock(now);
        if (!_coordinating || !IsCoordinator || _view is null || _view.ReceiverLife(node) != life) return false;
        DataNodeRecord n = _nodes[node];
        n.LeaseLife = life;
        n.LeaseUntil = now + _lease.Hold;
        return true;
    }

    private void Clock(long now)
    {
        _now = Math.Max(_now, now);
        if (!_holdPending) return;
        _holdPending = false;
        _holdUntil = _now + _lease.Hold;
        _out.Wake(_holdUntil);
    }

    /// <summary>A coordinator starts: until a lease's time has passed, a lease its predecessor granted may still let a member serve.</summary>
    private void HoldExclusions()
    {
        _holdPending = true;
        _holdUntil = long.MaxValue;
        _out.Wake(_now);
    }

    /// <summary>
    /// Until when the life <paramref name="life"/> of member <paramref name="node"/> may hold a read lease: none once it
    /// is proven gone (another life answers there, or nothing listens), else this coordinator's own grant or its start hold.
    /// </summary>
    private long LeaseEnd(int node, ulong life)
    {
        DataNodeRecord n = _nodes[node];
        if (n.Lives.IsGone(life)) return long.MinValue;
        return n.LeaseLife == life ? Math.Max(_holdUntil, n.LeaseUntil) : _holdUntil;
    }

    /// <summary>
    /// A view another manager sent (a view change, or the view in its hello on the connection it dialed). The role is
    /// weighed again at once: a restarted manager whose first view comes this way may be the one to take over, and no
    /// later input need come (seed 103126: both managers restarted; the lower one learnt view 0 from the other's hello,
    /// never took over, and the other, coordinating, waited for it to be admitted).
    /// </summary>
    public void ViewReceived(ClusterView view)
    {
        Install(view);
        AfterMembershipEvent();
    }

    /// <summary>An answer to a view query, from data node or manager <paramref name="node"/>.</summary>
    public void ViewReport(int node, ulong queryId, ClusterView? view)
    {
        if (queryId == TakeoverQuery.Installed)
        {
            if (view is not null && _nodes.TryGetValue(node, out DataNodeRecord? n)) InstalledAt(node, n, view);
            return;
        }
        if (queryId == TakeoverQuery.Refused)
        {
            if (view is not null && !_excluded && _senderId >= 0 && view.Coordinator == _senderId)
            {
                _excluded = true;
                _out.Excluded($"data node {node} refused view {view.Epoch}: a successor's takeover took this manager for dead");
            }
            else if (view is not null && _view is not null && _nodes.ContainsKey(node))
            {
                _out.SyncAgain(node, now: _view.Supersedes(view));
            }
            return;
        }
        if (_view is null && view is not null)
        {
            Install(view);
            AfterMembershipEvent();
        }
        else if (_takeover is { } q && q.Id == queryId && q.Asked.Contains(node))
        {
            q.Awaiting.Remove(node);
            q.Offer(view);
            AfterMembershipEvent();
        }
    }

    /// <summary>
    /// A replica's orphan report. Once the recovery of that sender is decided in the report's view, a report (a node
    /// that missed the verdicts, re-reporting on reconnect) gets the same decision again.
    /// </summary>
    public void OrphanReportReceived(OrphanReport report)
    {
        if (!_coordinating) return;
        if (_decided.TryGetValue(report.DeadSender, out RecoveryDecision? decided) && decided.Epoch == report.Epoch)
        {
            _out.SendVerdicts(report.Node, decided);
            return;
        }
        if (!_recoveries.TryGetValue(report.DeadSender, out OrphanRecovery? recovery)
            || !recovery.Add(report) || !recovery.IsComplete) return;
        _recoveries.Remove(report.DeadSender);
        Decide(recovery);
    }

    // ---- views ----

    private void Install(ClusterView view)
    {
        if (_excluded || !view.Supersedes(_view)) return;
        bool replaced = _view is not null && view.Epoch <= _view.Epoch;
        _view = view;
        int admitted = -1;
        if (_senderId < 0)
        {
            int me = view.SenderOf(_life);
            if (me < 0) return;
            _senderId = admitted = me;
            _out.Log($"admitted as sender {me} in view {view.Epoch}", false);
        }
        else if (replaced)
        {
            _excluded = true;
            _out.Excluded($"view {view.Epoch} of coordinator {view.Coordinator} replaces the one this manager installed, decided by a coordinator taken for dead");
            return;
        }
        else if (!view.Skeen.ContainsSender(_senderId))
        {
            _excluded = true;
            _out.Excluded($"view {view.Epoch} no longer lists sender {_senderId}: the coordinator took this manager for dead");
            return;
        }
        HoldChangedGroups(view);
        _out.Installed(view, admitted);
        ReleaseConfirmedGroups();
        foreach (int node in _nodes.Keys) FenceIfExcluded(node);
        if (_coordinating) RestartRecoveries(view);
        _out.Log($"installed {view}", false);
    }

    // ---- confirmed views ----

    /// <summary>Data node <paramref name="node"/> installed <paramref name="view"/> (it admits the reporting life).</summary>
    private void InstalledAt(int node, DataNodeRecord n, ClusterView view)
    {
        ulong life = view.ReceiverLife(node);
        if (life == 0) return;
        (n.ReportedEpoch, n.ReportedCoordinator, n.ReportedLife) = (view.Epoch, view.Coordinator, life);
        if (_installed is null || view.Epoch != _installed.Epoch || view.Coordinator != _installed.Coordinator) return;
        (n.ConfirmedLife, n.ConfirmedAt) = (life, _installs);
        ReleaseConfirmedGroups();
    }

    /// <summary>
    /// Before the writes machine settles with <paramref name="view"/>: every group whose replicas it changed is held until
    /// they confirm it. A view is named by (epoch, coordinator): a coordinator decides one view per epoch, never reused.
    /// </summary>
    private void HoldChangedGroups(ClusterView view)
    {
        _installs++;
        foreach (int group in _groups)
            if (_installed is null || !SameReplicas(_installed, view, group)) _groupChangedAt[group] = _installs;
        foreach ((int id, DataNodeRecord n) in _nodes)
            if (n.ReportedEpoch == view.Epoch && n.ReportedCoordinator == view.Coordinator && n.ReportedLife == view.ReceiverLife(id))
                (n.ConfirmedLife, n.ConfirmedAt) = (n.ReportedLife, _installs);
        _installed = view;
        foreach (int group in _groups)
            if (!GroupConfirmed(group) && _heldGroups.Add(group)) _out.HoldWrites(group, true);
    }

    private void ReleaseConfirmedGroups()
    {
        if (_heldGroups.Count == 0) return;
        foreach (int group in _heldGroups.ToArray())
            if (GroupConfirmed(group))
            {
                _heldGroups.Remove(group);
                _out.HoldWrites(group, false);
            }
    }

    /// <summary>Every replica of <paramref name="group"/> in the installed view confirmed a view installed since the group last changed.</summary>
    private bool GroupConfirmed(int group)
    {
        long since = _groupChangedAt[group];
        foreach (ViewMember m in _installed!.Skeen.MembersOf(group))
        {
            DataNodeRecord n = _nodes[m.Node];
            if (n.ConfirmedAt < since || n.ConfirmedLife != _installed.ReceiverLife(m.Node)) return false;
        }
        return true;
    }

    private static bool SameReplicas(ClusterView a, ClusterView b, int group)
    {
        var was = a.Skeen.MembersOf(group);
        var now = b.Skeen.MembersOf(group);
        if (was.Length != now.Length) return false;
        foreach (ViewMember m in now)
            if (!a.Skeen.Contains(m.Node, m.Incarnation) || a.ReceiverLife(m.Node) != b.ReceiverLife(m.Node)) return false;
        return true;
    }

    /// <summary>
    /// A data-node life that holds a view but is not admitted by this one (it was excluded, possibly while alive
    /// behind a dropped connection or a pause) gets the view: it finds itself excluded, stops serving, starts over.
    /// </summary>
    private void FenceIfExcluded(int node)
    {
        DataNodeRecord n = _nodes[node];
        if (_view is null || _senderId < 0 || !n.Lives.Connected || !n.HasStatus || n.Status.Phase == NodePhase.Fresh
            || _view.ReceiverLife(node) == n.Status.Life) return;
        _out.Fence(node, _view);
    }

    private bool SenderDead(int sender)
    {
        int node = sender & 0xFFFF;
        if (node == _nodeId) return sender != _senderId;
        return !_peers.TryGetValue(node, out PeerRecord? peer) || peer.Lives.IsDead(_view!.SenderLife(sender), _now, _grace);
    }

    /// <summary>A member of the view is waited for until proven dead; another data node only while it can be reached.</summary>
    private bool GoneForTakeover(int node)
    {
        if (_view!.Skeen.TryGetReceiver(node, out _) || !_nodes.TryGetValue(node, out DataNodeRecord? n)) return MemberDead(node);
        return !n.Lives.Connected && n.Lives.Refused;
    }

    private bool MemberDead(int node)
    {
        if (_nodes.TryGetValue(node, out DataNodeRecord? n)) return n.Lives.IsDead(_view!.ReceiverLife(node), _now, _grace);
        foreach (int s in _view!.Skeen.Senders)
            if ((s & 0xFFFF) == node) return SenderDead(s);
        return true;
    }

    /// <summary>Re-evaluates this manager's role after anything that can change it, and coordinates if it is its turn.</summary>
    private void AfterMembershipEvent()
    {
        if (_excluded) return;
        if (_view is null)
        {
            if (!TryBoot()) AskForAView();
            return;
        }
        if (!IsCoordinator)
        {
            _coordinating = false;
            _takeover = null;
            return;
        }
        if (!_coordinating)
        {
            if (_senderId >= 0 && _view.Coordinator == _senderId)
            {
                _coordinating = true;
                HoldExclusions();
                RestartRecoveries(_view);
            }
            else if (!ProgressTakeover() || !IsCoordinator)
            {
                return;
            }
        }
        if (_senderId < 0 && LowerManagerAwaitsAdmission()) return;
        Reconcile();
    }

    /// <summary>
    /// Managers restarted together find every sender dead, and each would decide a view of the same epoch admitting
    /// itself; the replicas that installed the losing one would have to start over. So a manager not yet admitted
    /// decides only when no live manager with a lower node id is unadmitted too (it has still asked for the newest
    /// view first: that view may admit it, and then it coordinates as a sender).
    /// </summary>
    private bool LowerManagerAwaitsAdmission()
    {
        foreach ((int id, PeerRecord p) in _peers)
            if (id < _nodeId && p.Lives.Connected && p.HasHello && p.Sender < 0) return true;
        return false;
    }

    private bool TryBoot()
    {
        if (_bootManager != _nodeId) return false;
        foreach (DataNodeRecord n in _nodes.Values)
            if (!n.HasStatus || n.Status.Phase != NodePhase.Fresh || n.Status.Epoch >= 0) return false;
        foreach (PeerRecord p in _peers.Values)
            if (!p.HasHello || p.View is not null || p.Sender >= 0) return false;
        var receiverLives = _nodes.ToDictionary(kv => kv.Key, kv => kv.Value.Status.Life);
        var senderLives = new Dictionary<int, ulong> { [_nodeId] = _life };
        foreach ((int id, PeerRecord p) in _peers) senderLives.Add(id, p.Lives.Life);
        var view = new ClusterView(SkeenView.Initial(_nodes.Select(kv => (kv.Key, kv.Value.Group)), senderLives.Keys), _nodeId,
            receiverLives, senderLives, []);
        _out.Log("booting the cluster: every data node and manager is up and none holds a view", false);
        _coordinating = true;
        Broadcast(view);
        return true;
    }

    /// <summary>
    /// A restarted manager learns views from the other managers' hellos; when no manager answers with one but data
    /// nodes hold views, it asks them, so it can tell whether any sender is left to admit it.
    /// </summary>
    private void AskForAView()
    {
        foreach (PeerRecord p in _peers.Values)
            if (!p.HasHello && !p.Lives.Refused) return;
        foreach ((int id, DataNodeRecord n) in _nodes)
        {
            if (!n.Lives.Connected || !n.HasStatus || n.Status.Epoch < 0 || n.AskedForView) continue;
            n.AskedForView = true;
            _out.SendQuery(id, toManager: false, 0, []);
        }
    }

    // ---- coordinator ----

    /// <summary>Returns true once the takeover query is answered (and its newest view installed).</summary>
    private bool ProgressTakeover()
    {
        ClusterView view = _view!;
        if (_takeover is null)
        {
            var dead = new List<int>();
            foreach (int s in view.Skeen.Senders)
                if (_senderId < 0 || s < _senderId) dead.Add(s);
            _takeover = new TakeoverQuery(++_nextQueryId, [.. dead]);
            // Every data node of the configuration, not only the view's members: a joiner the dying coordinator admitted
            // may be the only live holder of the newest view.
            foreach (int node in _nodes.Keys) _takeover.Awaiting.Add(node);
            foreach (int s in view.Skeen.Senders)
                if (s != _senderId && !dead.Contains(s)) _takeover.Awaiting.Add(s & 0xFFFF);
            _out.Log($"senders {string.Join(", ", dead)} are gone: taking over as coordinator of view {view.Epoch} " +
                     $"after asking {_takeover.Awaiting.Count} processes for their newest view", false);
            foreach ((int id, DataNodeRecord n) in _nodes)
                if (n.Lives.Connected) AskIfTakingOver(id, toManager: false);
            foreach ((int id, PeerRecord p) in _peers)
                if (p.Lives.Connected) AskIfTakingOver(id, toManager: true);
        }
        _takeover.Awaiting.RemoveWhere(GoneForTakeover);
        if (_takeover.Awaiting.Count > 0) return false;
        ClusterView? newest = _takeover.Newest;
        _takeover = null;
        _coordinating = true;
        HoldExclusions();
        if (newest is not null && newest.Supersedes(view)) Install(newest);
        else RestartRecoveries(view);
        _out.Log($"coordinating from view {_view!.Epoch}", false);
        return !_excluded;
    }

    private void AskIfTakingOver(int node, bool toManager)
    {
        if (_takeover is not { } q || !q.Awaiting.Contains(node) || !q.Asked.Add(node)) return;
        _out.SendQuery(node, toManager, q.Id, q.DeadSenders);
    }

    /// <summary>
    /// Decides the next view from what this manager's connections show, if anything changed: dead data nodes and
    /// senders out, fresh data-node lives in (each with a serving donor of its group), fresh manager lives in.
    /// </summary>
    private void Reconcile()
    {
        ClusterView view = _view!;
        long epoch = view.Epoch + 1;
        var changes = new List<string>();
        var receivers = new List<ViewMember>(view.Skeen.Receivers.Length + 1);
        var receiverLives = new Dictionary<int, ulong>();
        foreach (ViewMember m in view.Skeen.Receivers)
        {
            ulong life = view.ReceiverLife(m.Node);
            if (_nodes[m.Node].Lives.IsDead(life, _now, _grace))
            {
                // A live replica behind a pause or cut connections may still serve reads on its lease: it stays until that runs out.
                long leaseEnd = LeaseEnd(m.Node, life);
                if (_now >= leaseEnd)
                {
                    changes.Add($"-node {m.Node}");
                    continue;
                }
                _out.Wake(leaseEnd);
            }
            receivers.Add(m);
            receiverLives.Add(m.Node, life);
        }
        foreach ((int id, DataNodeRecord n) in _nodes)
        {
            if (!n.HasStatus || n.Status.Phase != NodePhase.Fresh || receiverLives.ContainsKey(id)) continue;
            if (Donor(n.Group, receivers, receiverLives, epoch) is not { } donor)
            {
                if (!receivers.Exists(r => r.Group == n.Group) && _lostGroups.Add(n.Group))
                    _out.Log($"group {n.Group} has lost every replica (more than f failures); node {id} cannot rejoin it", true);
                continue;
            }
            receivers.Add(new ViewMember(id, n.Group, epoch, donor));
            receiverLives.Add(id, n.Status.Life);
            changes.Add($"+node {id} from {donor}");
        }
        var senders = new List<int>(view.Skeen.Senders.Length + 1);
        var senderLives = new Dictionary<int, ulong>();
        var dead = new List<int>(view.DeadSenders);
        foreach (int s in view.Skeen.Senders)
        {
            if (SenderDead(s))
            {
                dead.Add(s);
                changes.Add($"-sender {s}");
                continue;
            }
            senders.Add(s);
            senderLives.Add(s, view.SenderLife(s));
        }
        int rank = 1;
        foreach (int s in view.Skeen.Senders) rank = Math.Max(rank, (s >> 16) + 1);
        foreach (int s in dead) rank = Math.Max(rank, (s >> 16) + 1);
        int coordinator = _senderId;
        if (_senderId < 0)
        {
            coordinator = NewSenderId(ref rank, _nodeId);
            senders.Add(coordinator);
            senderLives.Add(coordinator, _life);
            changes.Add($"+sender {coordinator} (this manager, no sender being left)");
        }
        foreach ((int id, PeerRecord p) in _peers)
        {
            if (!p.HasHello || p.Sender >= 0 || p.Lives.Life == 0 || view.SenderOf(p.Lives.Life) >= 0) continue;
            int sender = NewSenderId(ref rank, id);
            senders.Add(sender);
            senderLives.Add(sender, p.Lives.Life);
            changes.Add($"+sender {sender} (manager {id})");
        }
        if (changes.Count == 0) return;
        _out.Log($"deciding view {epoch}: {string.Join(", ", changes)}", false);
        Broadcast(new ClusterView(new SkeenView(epoch, receivers, senders), coordinator, receiverLives, senderLives, dead));
    }

    /// <summary>A sender id never used before: every id handed out has a lower rank, so a newcomer never outranks the coordinator.</summary>
    private static int NewSenderId(ref int rank, int node)
    {
        if (rank > short.MaxValue) throw new InvalidOperationException("Sender ids are exhausted: more than 32767 manager lives were admitted.");
        return (rank++ << 16) | node;
    }

    /// <summary>A serving member of <paramref name="group"/> (it has caught up, so it may donate its state).</summary>
    private int? Donor(int group, List<ViewMember> receivers, Dictionary<int, ulong> lives, long epoch)
    {
        foreach (ViewMember m in receivers)
        {
            if (m.Group != group || m.Incarnation >= epoch) continue;
            DataNodeRecord n = _nodes[m.Node];
            if (n.HasStatus && n.Status.Phase == NodePhase.Serving && n.Lives.Life == lives[m.Node] && n.Status.Incarnation == m.Incarnation)
                return m.Node;
        }
        return null;
    }

    private void Broadcast(ClusterView view)
    {
        foreach ((int id, PeerRecord p) in _peers)
            if (p.Lives.Connected) _out.SendView(id, view);
        Install(view);
    }

    // ---- orphan recovery ----

    private void RestartRecoveries(ClusterView view)
    {
        _recoveries.Clear();
        _decided.Clear();
        foreach (int dead in view.DeadSenders) _recoveries[dead] = new OrphanRecovery(dead, view.Skeen);
    }

    private void Decide(OrphanRecovery recovery)
    {
        RecoveryDecision decision;
        try
        {
            decision = recovery.Decide();
        }
        catch (InvalidOperationException e)
        {
            _out.Log($"orphan recovery of sender {recovery.DeadSender} failed: {e.Message}", true);
            return;
        }
        _decided[decision.DeadSender] = decision;
        foreach (ViewMember m in recovery.View.Receivers)
            if (_nodes[m.Node].Lives.Connected) _out.SendVerdicts(m.Node, decision);
        int finalised = decision.Verdicts.Count(v => v.Finalize);
        if (decision.Verdicts.Length > 0)
            _out.Log($"orphans of sender {decision.DeadSender} in view {decision.Epoch}: {finalised} finalised, " +
                     $"{decision.Verdicts.Length - finalised} discarded", false);
    }

    private sealed class DataNodeRecord(int group)
    {
        public int Group { get; } = group;
        public LifeTracker Lives { get; } = new();
        public NodeStatus Status;
        public bool HasStatus;
        public bool AskedForView;

        /// <summary>The life this coordinator last granted a read lease, and until when (its clock) that life may serve on it.</summary>
        public ulong LeaseLife;
        public long LeaseUntil = long.MinValue;

        /// <summary>The view the node last reported installed (<see cref="TakeoverQuery.Installed"/>), by (epoch, coordinator), and for which life.</summary>
        public long ReportedEpoch = -1;
        public int ReportedCoordinator;
        public ulong ReportedLife;

        /// <summary>The life that confirmed one of this manager's installed views, and that view's install count.</summary>
        public ulong ConfirmedLife;
        public long ConfirmedAt = -1;
    }

    private sealed class PeerRecord
    {
        public LifeTracker Lives { get; } = new();
        public int Sender = -1;
        public ClusterView? View;
        public bool HasHello;
    }
}
