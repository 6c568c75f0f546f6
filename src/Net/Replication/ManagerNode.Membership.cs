using System.Diagnostics;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// Membership: the adapter of <see cref="ManagerMembership"/>, which decides everything (boot, coordinator,
/// takeover, views, fencing, orphan recovery). Here each connection event becomes one input under the lock, and
/// the machine's effects are enqueued on the connections they name and flushed after the lock is released. What
/// stays here is what belongs to the wire: which connection a node id means now, the per-life sync of a data
/// node's link (view, then Skeen's resend) before multicasts use it, and parking view queries until no connection
/// from the dead senders is left.
/// </summary>
internal sealed partial class ManagerNode
{
    private readonly Dictionary<int, (long Incarnation, long Started)> _joins = [];
    private readonly List<(Connection Connection, ulong RequestId, int[] DeadSenders)> _parked = [];
    private ClusterView? _encodedView;
    private byte[] _viewBytes = [];

    private static long NowMs => Environment.TickCount64;

    // ---- data node links ----

    internal void OnNodeOpened(NodeLink link, Connection connection)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            link.Connection = connection;
            link.SyncedLife = 0;
            _membership.NodeConnected(link.NodeId);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnNodeStatus(NodeLink link, Connection connection, in NodeStatus status)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection)
            {
                bool wasServing = _membership.TryGetStatus(link.NodeId, out NodeStatus old) && old.Life == status.Life && old.Phase == NodePhase.Serving;
                if (status.Life != _membership.NodeLife(link.NodeId)) link.SyncedLife = 0;
                if (_membership.NodeStatusReceived(link.NodeId, status)) _reads.NodeGone(link.NodeId, _membership.View);
                SyncLocked(link);
                if (status.Phase == NodePhase.Serving && !wasServing) NoteServingLocked(link, status);
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
                link.SyncedLife = 0;
                _reads.NodeGone(link.NodeId, _membership.View);
                // Dead since last heard: a peer closed for silence is dead at once, a dropped one may answer again within suspectAfterMs.
                _membership.NodeClosed(link.NodeId, NowMs, connection.LastReceivedMs);
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
            _membership.NodeRefused(link.NodeId);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    /// <summary>A data node asks for a read lease; the grant echoes its sending time, and only the coordinator grants.</summary>
    internal void OnLeaseRequest(NodeLink link, Connection connection, ulong life, long sentAt)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection && _membership.LeaseRequested(link.NodeId, life, NowMs))
            {
                LeaseWire.Enqueue(connection, MessageType.LeaseGrant, life, sentAt);
                _flushes.Add(connection);
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnOrphanReport(NodeLink link, Connection connection, OrphanReport report)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection) _membership.OrphanReportReceived(report);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    // ---- manager links (the ones this manager dialed) ----

    internal void OnPeerOpened(PeerLink link, Connection connection)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            link.Connection = connection;
            _membership.PeerConnected(link.NodeId);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnPeerHello(PeerLink link, Connection connection, int sender, ulong life, ClusterView? view)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection) _membership.PeerHello(link.NodeId, sender, life, view);
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
                _membership.PeerClosed(link.NodeId, NowMs, connection.LastReceivedMs);
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
            _membership.PeerRefused(link.NodeId);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnViewReport(Connection connection, ulong id, ClusterView? view)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            int node = NodeOfLocked(connection);
            if (node >= 0) _membership.ViewReport(node, id, view);
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

    private async Task WakeAsync(long time)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, time - NowMs)), _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        FlushSet.Batch batch;
        lock (_gate)
        {
            _membership.Tick(NowMs);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    // ---- views ----

    private byte[] ViewBytesLocked(ClusterView view)
    {
        if (!ReferenceEquals(view, _encodedView)) (_encodedView, _viewBytes) = (view, MembershipWire.EncodeView(view));
        return _viewBytes;
    }

    /// <summary>
    /// The machine installed a newer view: the data nodes this manager is synced with get it first, then Skeen's
    /// sender switches (markers, and finals for multicasts that no longer wait on a departed node), then newly
    /// admitted lives are brought up to date, and writes stop waiting on departed destinations.
    /// </summary>
    private void InstalledLocked(ClusterView view, int admittedAs)
    {
        byte[] bytes = ViewBytesLocked(view);
        if (admittedAs >= 0)
        {
            _sender = new SkeenSender<WriteOp>(admittedAs, new SenderEffects(this));
            _writes.Sender = _sender;
            foreach (NodeLink link in _nodes.Values)
                if (link.Connection is { } c)
                {
                    MembershipWire.EnqueueHello(c, admittedAs, _life, null);
                    _flushes.Add(c);
                }
        }
        foreach (NodeLink link in _nodes.Values)
            if (link.Connection is { } c && link.SyncedLife != 0 && link.SyncedLife == view.ReceiverLife(link.NodeId))
            {
                c.Enqueue(MessageType.ViewChange, bytes);
                _flushes.Add(c);
            }
        _sender!.InstallView(view.Skeen);
        foreach (NodeLink link in _nodes.Values) SyncLocked(link);
        _writes.Settle(view.Skeen);
        long now = Stopwatch.GetTimestamp();
        foreach (ViewMember m in view.Skeen.Receivers)
            if (m.NeedsTransfer && m.Incarnation == view.Epoch) _joins[m.Node] = (m.Incarnation, now);
        _writes.Pump();
        _serving.TrySetResult();
    }

    /// <summary>
    /// Brings a connection whose life the view admits up to date, once per life: the view, then everything Skeen's
    /// sender still owes that member (finals, unproposed data, the marker). Only then do multicasts use it.
    /// </summary>
    private void SyncLocked(NodeLink link)
    {
        if (_sender is null || _membership.View is not { } view || link.Connection is not { } c) return;
        ulong life = view.ReceiverLife(link.NodeId);
        if (life == 0 || _membership.NodeLife(link.NodeId) != life || link.SyncedLife == life) return;
        view.Skeen.TryGetReceiver(link.NodeId, out ViewMember member);
        link.SyncedLife = life;
        link.Incarnation = member.Incarnation;
        c.Enqueue(MessageType.ViewChange, ViewBytesLocked(view));
        _sender.Resend(link.NodeId);
        _flushes.Add(c);
    }

    private void NoteServingLocked(NodeLink link, in NodeStatus status)
    {
        if (!_joins.Remove(link.NodeId, out (long Incarnation, long Started) join) || join.Incarnation != status.Incarnation) return;
        TimeSpan pause = Stopwatch.GetElapsedTime(join.Started);
        _groups[link.Group].Rejoins.Add((float)pause.TotalMicroseconds);
        Diagnostics.BitFusionMetrics.RecordRecovery("rejoin_pause", pause);
        Log.Info($"data node {link.NodeId} rejoined group {link.Group} ({status.Length} bits at position {status.Position}): " +
                 $"serving {pause.TotalMilliseconds:0.000} ms after the view that admitted it");
    }

    private void ExcludedLocked(string reason)
    {
        Log.Warn(reason);
        _writes.Exclude();
        _writes.Sender = null;
        _ = Task.Run(() => Excluded?.Invoke(reason));
    }

    // ---- view queries from a new coordinator, on connections other managers dialed ----

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
        MembershipWire.EnqueueReport(connection, id, _membership.View);
        _flushes.Add(connection);
    }

    /// <summary>The membership machine's effects, always called under the manager's lock.</summary>
    private sealed class MembershipEffects(ManagerNode manager) : IManagerMembershipOutput
    {
        public void SendHello(int node, bool toManager, int sender, ClusterView? view)
        {
            if (Link(node, toManager) is not { } c) return;
            MembershipWire.EnqueueHello(c, sender, manager._life, view);
            manager._flushes.Add(c);
        }

        public void SendView(int node, ClusterView view) => SendViewChange(Link(node, toManager: true), view);

        public void Fence(int node, ClusterView view) => SendViewChange(Link(node, toManager: false), view);

        public void SendQuery(int node, bool toManager, ulong queryId, int[] deadSenders)
        {
            if (Link(node, toManager) is not { } c) return;
            MembershipWire.EnqueueQuery(c, queryId, deadSenders);
            manager._flushes.Add(c);
        }

        public void SendVerdicts(int node, RecoveryDecision decision)
        {
            if (manager.ReadyLink(node) is not { } c) return;
            c.Enqueue(MessageType.OrphanVerdicts, OrphanWire.EncodeDecision(decision));
            manager._flushes.Add(c);
            int finalised = decision.Verdicts.Count(v => v.Finalize);
            if (decision.Verdicts.Length > 0)
                Transport.Log.Info($"orphans of sender {decision.DeadSender} in view {decision.Epoch} to node {node}: {finalised} finalised, " +
                         $"{decision.Verdicts.Length - finalised} discarded");
        }

        /// <summary>The link is brought up to date again now, or with the next view installed (<see cref="InstalledLocked"/> syncs it).</summary>
        public void SyncAgain(int node, bool now)
        {
            if (!manager._nodes.TryGetValue(node, out NodeLink? link)) return;
            link.SyncedLife = 0;
            if (now) manager.SyncLocked(link);
        }

        public void Installed(ClusterView view, int admittedAs) => manager.InstalledLocked(view, admittedAs);

        public void HoldWrites(int group, bool hold)
        {
            if (hold)
            {
                manager._writes.Hold(group);
                return;
            }
            manager._writes.Release(group);
            manager._writes.Pump();
        }

        public void Excluded(string reason) => manager.ExcludedLocked(reason);

        public void Wake(long time)
        {
            if (time != long.MaxValue) _ = manager.WakeAsync(time);
        }

        public void Log(string message, bool warning)
        {
            if (warning) Transport.Log.Warn(message);
            else Transport.Log.Info(message);
        }

        private Connection? Link(int node, bool toManager) =>
            toManager ? manager._peers.GetValueOrDefault(node)?.Connection : manager._nodes.GetValueOrDefault(node)?.Connection;

        private void SendViewChange(Connection? c, ClusterView view)
        {
            if (c is null) return;
            c.Enqueue(MessageType.ViewChange, manager.ViewBytesLocked(view));
            manager._flushes.Add(c);
        }
    }
}
