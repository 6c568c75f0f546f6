using System.Diagnostics;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// Membership. Assumptions: processes crash and stop (a restart is a new life); connections are reliable FIFO; a
/// connection that closes, a port that refuses, or another life answering there is a failure, and each manager
/// judges only by its own connections. Managers all dial each other and every data node.
/// <list type="bullet">
/// <item>Boot: the lowest-id manager of the configuration, once it reaches every data node and every manager and
/// none holds a view, decides view 0 (every data node founding its group, every manager a sender).</item>
/// <item>The coordinator is the lowest sender of the view that this manager cannot prove dead. It alone decides
/// views: it removes dead data nodes and senders, admits a new data-node life with a serving member of its group
/// as donor, and admits a new manager life as a sender under a never-used id. Views go to every manager; every
/// manager passes each view it installs to the data nodes before its own messages of that epoch.</item>
/// <item>A manager that becomes coordinator because every lower sender died first asks every live member for the
/// newest view it holds (see <see cref="TakeoverQuery"/>), then continues from it.</item>
/// <item>After every view change the coordinator re-runs orphan recovery for every dead sender (the data nodes
/// report with the view; the verdicts go back to all of them), so a dead manager's multicasts never pin a queue.</item>
/// </list>
/// </summary>
public sealed partial class ManagerNode
{
    private readonly Dictionary<int, OrphanRecovery> _recoveries = [];
    private readonly Dictionary<int, (long Incarnation, long Started)> _joins = [];
    private readonly List<(Connection Connection, ulong RequestId, int[] DeadSenders)> _parked = [];
    private readonly HashSet<int> _lostGroups = [];
    private byte[] _viewBytes = [];
    private bool _coordinating;
    private bool _excluded;
    private TakeoverQuery? _takeover;
    private ulong _nextQueryId;

    // ---- data node links ----

    internal void OnNodeOpened(NodeLink link, Connection connection)
    {
        lock (_gate)
        {
            link.Connection = connection;
            link.Lives.OnConnected();
            link.HasStatus = false;
            link.SyncedLife = 0;
            link.AskedForView = false;
            MembershipWire.EnqueueHello(connection, _senderId, _life, null);
            AskIfTakingOverLocked(link.NodeId, connection);
        }
        connection.Flush();
    }

    internal void OnNodeStatus(NodeLink link, Connection connection, in NodeStatus status)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection)
            {
                bool newLife = link.Lives.OnLife(status.Life);
                bool wasServing = link.HasStatus && !newLife && link.Status.Phase == NodePhase.Serving;
                link.Status = status;
                link.HasStatus = true;
                if (newLife)
                {
                    link.SyncedLife = 0;
                    RedispatchReadsLocked(link.NodeId);
                }
                SyncLocked(link);
                if (status.Phase == NodePhase.Serving && !wasServing) NoteServingLocked(link, status);
                AfterMembershipEventLocked();
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnNodeClosed(NodeLink link, Connection connection)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection)
            {
                link.Connection = null;
                link.Lives.OnClosed();
                link.HasStatus = false;
                link.SyncedLife = 0;
                _takeover?.Asked.Remove(link.NodeId);
                RedispatchReadsLocked(link.NodeId);
                AfterMembershipEventLocked();
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnNodeRefused(NodeLink link)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Lives.OnRefused()) AfterMembershipEventLocked();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    // ---- manager links (the ones this manager dialed) ----

    internal void OnPeerOpened(PeerLink link, Connection connection)
    {
        lock (_gate)
        {
            link.Connection = connection;
            link.Lives.OnConnected();
            link.HasHello = false;
            link.Sender = -1;
            link.View = null;
            MembershipWire.EnqueueHello(connection, _senderId, _life, _view);
            AskIfTakingOverLocked(link.NodeId, connection);
        }
        connection.Flush();
    }

    internal void OnPeerHello(PeerLink link, Connection connection, int sender, ulong life, ClusterView? view)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection)
            {
                link.Lives.OnLife(life);
                (link.Sender, link.View, link.HasHello) = (sender, view, true);
                if (view is not null) InstallLocked(view);
                AfterMembershipEventLocked();
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnPeerClosed(PeerLink link, Connection connection)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection)
            {
                link.Connection = null;
                link.Lives.OnClosed();
                link.HasHello = false;
                _takeover?.Asked.Remove(link.NodeId);
                AfterMembershipEventLocked();
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnPeerRefused(PeerLink link)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Lives.OnRefused()) AfterMembershipEventLocked();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    // ---- views ----

    /// <summary>
    /// Installs a newer view: the data nodes this manager is synced with get it first, then Skeen's sender switches
    /// (markers, and finals for multicasts that no longer wait on a departed node), then newly admitted lives are
    /// brought up to date, and writes stop waiting on departed destinations.
    /// </summary>
    private void InstallLocked(ClusterView view)
    {
        if (_excluded || (_view is not null && view.Epoch <= _view.Epoch)) return;
        _view = view;
        _viewBytes = MembershipWire.EncodeView(view);
        if (_sender is null)
        {
            int me = view.SenderOf(_life);
            if (me < 0) return;
            _senderId = me;
            _sender = new SkeenSender<WriteOp>(me, new SenderEffects(this));
            foreach (NodeLink link in _nodes.Values)
                if (link.Connection is { } c)
                {
                    MembershipWire.EnqueueHello(c, me, _life, null);
                    _flushes.Add(c);
                }
            Log.Info($"admitted as sender {me} in view {view.Epoch}");
        }
        else if (!view.Skeen.ContainsSender(_senderId))
        {
            ExcludeLocked(view);
            return;
        }

        foreach (NodeLink link in _nodes.Values)
            if (link.Connection is { } c && link.SyncedLife != 0 && link.SyncedLife == view.ReceiverLife(link.NodeId))
            {
                c.Enqueue(MessageType.ViewChange, _viewBytes);
                _flushes.Add(c);
            }
        _sender.InstallView(view.Skeen);
        foreach (NodeLink link in _nodes.Values) SyncLocked(link);
        SettleDeparturesLocked(view);
        long now = Stopwatch.GetTimestamp();
        foreach (ViewMember m in view.Skeen.Receivers)
            if (m.NeedsTransfer && m.Incarnation == view.Epoch) _joins[m.Node] = (m.Incarnation, now);
        if (_coordinating) RestartRecoveriesLocked(view);
        Log.Info($"installed {view}");
        _serving.TrySetResult();
    }

    /// <summary>
    /// Brings a connection whose life the view admits up to date, once per life: the view, then everything Skeen's
    /// sender still owes that member (finals, unproposed data, the marker). Only then do multicasts use it.
    /// </summary>
    private void SyncLocked(NodeLink link)
    {
        if (_sender is null || _view is null || link.Connection is not { } c) return;
        ulong life = _view.ReceiverLife(link.NodeId);
        if (life == 0 || link.Lives.Life != life || link.SyncedLife == life) return;
        _view.Skeen.TryGetReceiver(link.NodeId, out ViewMember member);
        link.SyncedLife = life;
        link.Incarnation = member.Incarnation;
        c.Enqueue(MessageType.ViewChange, _viewBytes);
        _sender.Resend(link.NodeId);
        _flushes.Add(c);
    }

    private void NoteServingLocked(NodeLink link, in NodeStatus status)
    {
        if (!_joins.Remove(link.NodeId, out (long Incarnation, long Started) join) || join.Incarnation != status.Incarnation) return;
        TimeSpan pause = Stopwatch.GetElapsedTime(join.Started);
        _groups[link.Group].Rejoins.Add((float)pause.TotalMicroseconds);
        Log.Info($"data node {link.NodeId} rejoined group {link.Group} ({status.Length} bits at position {status.Position}): " +
                 $"serving {pause.TotalMilliseconds:0.000} ms after the view that admitted it");
    }

    private void ExcludeLocked(ClusterView view)
    {
        _excluded = true;
        string reason = $"view {view.Epoch} no longer lists sender {_senderId}: the coordinator took this manager for dead";
        Log.Warn(reason);
        foreach (PendingWrite w in _writes.Values) w.Client?.Close("the manager left the view; the write's outcome is unknown");
        _ = Task.Run(() => Excluded?.Invoke(reason));
    }

    /// <summary>
    /// A sender coordinates when every lower sender is dead; a manager not yet admitted (a restart) only when every
    /// sender of its view is, i.e. no other manager is left to admit it.
    /// </summary>
    private bool CoordinatingLocked()
    {
        if (_view is null || _excluded) return false;
        foreach (int s in _view.Skeen.Senders)
        {
            if (_sender is not null && s >= _senderId) break;
            if (!SenderDeadLocked(s)) return false;
        }
        return true;
    }

    /// <summary>Sender ids carry their manager's node id in the low 16 bits (and the life's rank above).</summary>
    private bool SenderDeadLocked(int sender)
    {
        int node = sender & 0xFFFF;
        if (node == NodeId) return sender != _senderId;
        return !_peers.TryGetValue(node, out PeerLink? peer) || peer.Lives.IsDead(_view!.SenderLife(sender));
    }

    /// <summary>Re-evaluates this manager's role after anything that can change it, and coordinates if it is its turn.</summary>
    private void AfterMembershipEventLocked()
    {
        if (_excluded) return;
        if (_view is null)
        {
            if (!TryBootLocked()) AskForAViewLocked();
            return;
        }
        if (!CoordinatingLocked())
        {
            _coordinating = false;
            _takeover = null;
            return;
        }
        if (!_coordinating)
        {
            if (_sender is not null && _view.Coordinator == _senderId)
            {
                _coordinating = true;
                RestartRecoveriesLocked(_view);
            }
            else if (!ProgressTakeoverLocked() || !CoordinatingLocked())
            {
                return;
            }
        }
        ReconcileLocked();
    }

    private bool TryBootLocked()
    {
        if (Cluster.Managers[0].Id != NodeId) return false;
        foreach (NodeLink l in _nodes.Values)
            if (!l.HasStatus || l.Status.Phase != NodePhase.Fresh || l.Status.Epoch >= 0) return false;
        foreach (PeerLink p in _peers.Values)
            if (!p.HasHello || p.View is not null || p.Sender >= 0) return false;
        var receiverLives = _nodes.Values.ToDictionary(l => l.NodeId, l => l.Status.Life);
        var senderLives = new Dictionary<int, ulong> { [NodeId] = _life };
        foreach (PeerLink p in _peers.Values) senderLives.Add(p.NodeId, p.Lives.Life);
        var view = new ClusterView(SkeenView.Initial(_nodes.Values.Select(l => (l.NodeId, l.Group)), senderLives.Keys), NodeId,
            receiverLives, senderLives, []);
        Log.Info($"booting the cluster: every data node and manager is up and none holds a view");
        _coordinating = true;
        BroadcastLocked(view);
        return true;
    }

    /// <summary>
    /// A restarted manager learns views from the other managers' hellos; when no manager answers with one but data
    /// nodes hold views, it asks them, so it can tell whether any sender is left to admit it.
    /// </summary>
    private void AskForAViewLocked()
    {
        foreach (PeerLink p in _peers.Values)
            if (!p.HasHello && !p.Lives.Refused) return;
        foreach (NodeLink link in _nodes.Values)
        {
            if (link.Connection is not { } c || !link.HasStatus || link.Status.Epoch < 0 || link.AskedForView) continue;
            link.AskedForView = true;
            MembershipWire.EnqueueQuery(c, 0, []);
            _flushes.Add(c);
        }
    }

    // ---- coordinator ----

    /// <summary>Returns true once the takeover query is answered (and its newest view installed).</summary>
    private bool ProgressTakeoverLocked()
    {
        ClusterView view = _view!;
        if (_takeover is null)
        {
            var dead = new List<int>();
            foreach (int s in view.Skeen.Senders)
                if (_sender is null || s < _senderId) dead.Add(s);
            _takeover = new TakeoverQuery(++_nextQueryId, [.. dead]);
            foreach (ViewMember m in view.Skeen.Receivers) _takeover.Awaiting.Add(m.Node);
            foreach (int s in view.Skeen.Senders)
                if (s != _senderId && !dead.Contains(s)) _takeover.Awaiting.Add(s & 0xFFFF);
            Log.Info($"senders {string.Join(", ", dead)} are gone: taking over as coordinator of view {view.Epoch} " +
                     $"after asking {_takeover.Awaiting.Count} processes for their newest view");
            foreach (NodeLink link in _nodes.Values)
                if (link.Connection is { } c) AskIfTakingOverLocked(link.NodeId, c);
            foreach (PeerLink peer in _peers.Values)
                if (peer.Connection is { } c) AskIfTakingOverLocked(peer.NodeId, c);
        }
        _takeover.Awaiting.RemoveWhere(MemberDeadLocked);
        if (_takeover.Awaiting.Count > 0) return false;
        ClusterView? newest = _takeover.Newest;
        _takeover = null;
        _coordinating = true;
        if (newest is not null && newest.Epoch > view.Epoch) InstallLocked(newest);
        else RestartRecoveriesLocked(view);
        Log.Info($"coordinating from view {_view!.Epoch}");
        return !_excluded;
    }

    private void AskIfTakingOverLocked(int node, Connection connection)
    {
        if (_takeover is not { } q || !q.Awaiting.Contains(node) || !q.Asked.Add(node)) return;
        MembershipWire.EnqueueQuery(connection, q.Id, q.DeadSenders);
        _flushes.Add(connection);
    }

    private bool MemberDeadLocked(int node)
    {
        if (_nodes.TryGetValue(node, out NodeLink? link)) return link.Lives.IsDead(_view!.ReceiverLife(node));
        foreach (int s in _view!.Skeen.Senders)
            if ((s & 0xFFFF) == node) return SenderDeadLocked(s);
        return true;
    }

    internal void OnViewReport(Connection connection, ulong id, ClusterView? view)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (_view is null && view is not null)
            {
                InstallLocked(view);
                AfterMembershipEventLocked();
            }
            else if (_takeover is { } q && q.Id == id)
            {
                int node = NodeOfLocked(connection);
                if (node >= 0 && q.Asked.Contains(node))
                {
                    q.Awaiting.Remove(node);
                    q.Offer(view);
                    AfterMembershipEventLocked();
                }
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    private int NodeOfLocked(Connection connection)
    {
        foreach (NodeLink link in _nodes.Values)
            if (link.Connection == connection) return link.NodeId;
        foreach (PeerLink peer in _peers.Values)
            if (peer.Connection == connection) return peer.NodeId;
        return -1;
    }

    /// <summary>
    /// Decides the next view from what this manager's connections show, if anything changed: dead data nodes and
    /// senders out, fresh data-node lives in (each with a serving donor of its group), fresh manager lives in.
    /// </summary>
    private void ReconcileLocked()
    {
        ClusterView view = _view!;
        long epoch = view.Epoch + 1;
        var changes = new List<string>();
        var receivers = new List<ViewMember>(view.Skeen.Receivers.Length + 1);
        var receiverLives = new Dictionary<int, ulong>();
        foreach (ViewMember m in view.Skeen.Receivers)
        {
            ulong life = view.ReceiverLife(m.Node);
            if (_nodes[m.Node].Lives.IsDead(life))
            {
                changes.Add($"-node {m.Node}");
                continue;
            }
            receivers.Add(m);
            receiverLives.Add(m.Node, life);
        }
        foreach (NodeLink link in _nodes.Values)
        {
            if (!link.HasStatus || link.Status.Phase != NodePhase.Fresh || receiverLives.ContainsKey(link.NodeId)) continue;
            if (DonorLocked(link.Group, receivers, receiverLives, epoch) is not { } donor)
            {
                if (!receivers.Exists(r => r.Group == link.Group) && _lostGroups.Add(link.Group))
                    Log.Warn($"group {link.Group} has lost every replica (more than f failures); node {link.NodeId} cannot rejoin it");
                continue;
            }
            receivers.Add(new ViewMember(link.NodeId, link.Group, epoch, donor));
            receiverLives.Add(link.NodeId, link.Status.Life);
            changes.Add($"+node {link.NodeId} from {donor}");
        }
        var senders = new List<int>(view.Skeen.Senders.Length + 1);
        var senderLives = new Dictionary<int, ulong>();
        var dead = new List<int>(view.DeadSenders);
        foreach (int s in view.Skeen.Senders)
        {
            if (SenderDeadLocked(s))
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
        if (_sender is null)
        {
            coordinator = NewSenderId(ref rank, NodeId);
            senders.Add(coordinator);
            senderLives.Add(coordinator, _life);
            changes.Add($"+sender {coordinator} (this manager, no sender being left)");
        }
        foreach (PeerLink peer in _peers.Values)
        {
            if (!peer.HasHello || peer.Sender >= 0 || peer.Lives.Life == 0 || view.SenderOf(peer.Lives.Life) >= 0) continue;
            int id = NewSenderId(ref rank, peer.NodeId);
            senders.Add(id);
            senderLives.Add(id, peer.Lives.Life);
            changes.Add($"+sender {id} (manager {peer.NodeId})");
        }
        if (changes.Count == 0) return;
        Log.Info($"deciding view {epoch}: {string.Join(", ", changes)}");
        BroadcastLocked(new ClusterView(new SkeenView(epoch, receivers, senders), coordinator, receiverLives, senderLives, dead));
    }

    /// <summary>A sender id never used before: every id handed out has a lower rank, so a newcomer never outranks the coordinator.</summary>
    private static int NewSenderId(ref int rank, int node)
    {
        if (rank > short.MaxValue) throw new InvalidOperationException("Sender ids are exhausted: more than 32767 manager lives were admitted.");
        return (rank++ << 16) | node;
    }

    /// <summary>A serving member of <paramref name="group"/> (it has caught up, so it may donate its state).</summary>
    private int? DonorLocked(int group, List<ViewMember> receivers, Dictionary<int, ulong> lives, long epoch)
    {
        foreach (ViewMember m in receivers)
        {
            if (m.Group != group || m.Incarnation >= epoch) continue;
            NodeLink link = _nodes[m.Node];
            if (link.HasStatus && link.Status.Phase == NodePhase.Serving && link.Lives.Life == lives[m.Node] && link.Status.Incarnation == m.Incarnation)
                return m.Node;
        }
        return null;
    }

    private void BroadcastLocked(ClusterView view)
    {
        byte[] bytes = MembershipWire.EncodeView(view);
        foreach (PeerLink peer in _peers.Values)
            if (peer.Connection is { } c)
            {
                c.Enqueue(MessageType.ViewChange, bytes);
                _flushes.Add(c);
            }
        InstallLocked(view);
    }

    // ---- orphan recovery ----

    private void RestartRecoveriesLocked(ClusterView view)
    {
        _recoveries.Clear();
        foreach (int dead in view.DeadSenders) _recoveries[dead] = new OrphanRecovery(dead, view.Skeen);
    }

    internal void OnOrphanReport(NodeLink link, Connection connection, OrphanReport report)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection && _coordinating && _recoveries.TryGetValue(report.DeadSender, out OrphanRecovery? recovery)
                && recovery.Add(report) && recovery.IsComplete)
            {
                _recoveries.Remove(report.DeadSender);
                Decide(recovery);
            }
            batch = _flushes.Take();
        }
        batch.Flush();
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
            Log.Warn($"orphan recovery of sender {recovery.DeadSender} failed: {e.Message}");
            return;
        }
        byte[] payload = OrphanWire.EncodeDecision(decision);
        foreach (ViewMember m in recovery.View.Receivers)
            if (ReadyLink(m.Node) is { } c)
            {
                c.Enqueue(MessageType.OrphanVerdicts, payload);
                _flushes.Add(c);
            }
        int finalised = decision.Verdicts.Count(v => v.Finalize);
        if (decision.Verdicts.Length > 0)
            Log.Info($"orphans of sender {decision.DeadSender} in view {decision.Epoch}: {finalised} finalised, {decision.Verdicts.Length - finalised} discarded");
    }

    // ---- view queries from a new coordinator ----

    private void QueryLocked(Connection connection, ulong id, int[] deadSenders)
    {
        if (AnyIncomingFromLocked(deadSenders)) _parked.Add((connection, id, deadSenders));
        else AnswerQueryLocked(connection, id);
    }

    private void AnswerParkedQueriesLocked()
    {
        for (int i = _parked.Count - 1; i >= 0; i--)
        {
            (Connection c, ulong id, int[] dead) = _parked[i];
            if (c.IsClosed) _parked.RemoveAt(i);
            else if (!AnyIncomingFromLocked(dead))
            {
                _parked.RemoveAt(i);
                AnswerQueryLocked(c, id);
            }
        }
    }

    private bool AnyIncomingFromLocked(int[] senders)
    {
        foreach (int sender in _incoming.Values)
            if (sender >= 0 && senders.Contains(sender)) return true;
        return false;
    }

    private void AnswerQueryLocked(Connection connection, ulong id)
    {
        MembershipWire.EnqueueReport(connection, id, _view);
        _flushes.Add(connection);
    }
}
