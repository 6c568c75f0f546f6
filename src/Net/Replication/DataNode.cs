using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// A data node: one replica of one group's bit list. Managers dial it; writes arrive as Skeen multicasts and are
/// applied in delivery order, each with a report to its manager (the new count and the write's position, or a
/// refusal for an index out of range at its turn). It serves reads to managers and clients once caught up.
/// A process that starts (or must start over) is a new <em>life</em>: it says so to every manager and waits for a
/// view that admits it, then for the state a live replica of its group streams to it directly.
/// All state changes happen under one lock, after a frame has been fully parsed and validated.
/// </summary>
public sealed class DataNode : IFrameHandler, IDisposable
{
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly Cluster _cluster;
    private readonly FrameServer _server;
    private readonly Dictionary<Connection, int> _managers = [];
    private readonly Dictionary<int, Connection> _bySender = [];
    private readonly List<ParkedQuery> _parked = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<DataNodeReady> _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Replica? _replica;
    private ClusterView? _view;
    private StateTransfer? _early;
    private ulong _life = LifeId.New();
    private long _ignored;

    public DataNode(Cluster cluster, int nodeId, IPEndPoint? bind = null)
    {
        _cluster = cluster;
        Limits = ListLimits.For(cluster.Config.MaxFrameBytes);
        NodeConfig me = cluster.Node(nodeId);
        if (me.Role != "datanode") throw new ConfigException($"Node {nodeId} is a {me.Role}, not a data node.");
        NodeId = nodeId;
        Group = me.Group!.Value;
        if (Group >= GroupSet.Capacity) throw new ConfigException($"Data node {nodeId} is in group {Group}; groups run from 0 to {GroupSet.Capacity - 1}.");
        _server = new FrameServer(bind ?? Cluster.BindEndPointOf(me), cluster.Key, new PeerIdentity(NodeRole.DataNode, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes,
            maxHandshakes: cluster.Config.MaxHandshakes, maxQueuedBytes: cluster.Config.MaxSendQueueBytes ?? 0);
    }

    public int NodeId { get; }

    public int Group { get; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters Counters => _server.Counters;

    /// <summary>Completes the first time this process serves (caught up in a view).</summary>
    public Task<DataNodeReady> Serving => _serving.Task;

    internal FlushSet Flushes { get; } = new();

    internal ListLimits Limits { get; private init; }

    public void Start() => _server.Start();

    /// <summary>A copy of the list and its position, for in-process checks; null while not serving.</summary>
    public (ulong[] Words, int Length, long Position)? Snapshot()
    {
        lock (_gate)
        {
            if (_replica is not { Skeen.IsCaughtUp: true } r) return null;
            return (r.List.Words.ToArray(), r.List.Count, r.Position);
        }
    }

    internal Connection? ManagerConnection(int sender) => _bySender.GetValueOrDefault(sender);

    public void OnOpen(Connection connection)
    {
        if (connection.Peer.Role != NodeRole.Manager) return;
        FlushSet.Batch batch;
        lock (_gate)
        {
            _managers[connection] = -1;
            MembershipWire.EnqueueStatus(connection, StatusLocked());
            Flushes.Add(connection);
            batch = Flushes.Take();
        }
        batch.Flush();
    }

    public void OnClose(Connection connection)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (!_managers.Remove(connection, out int sender)) return;
            if (sender >= 0 && _bySender.GetValueOrDefault(sender) == connection) _bySender.Remove(sender);
            for (int i = _parked.Count - 1; i >= 0; i--)
            {
                ParkedQuery q = _parked[i];
                if (q.Connection.IsClosed) _parked.RemoveAt(i);
                else if (!AnyOpenLocked(q.DeadSenders))
                {
                    _parked.RemoveAt(i);
                    AnswerQueryLocked(q.Connection, q.RequestId);
                }
            }
            batch = Flushes.Take();
        }
        batch.Flush();
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.Stats:
                ReplyStats(connection, frame);
                return;
            case MessageType.Get or MessageType.Count or MessageType.ReadAll:
                Read(connection, frame);
                return;
        }
        switch (connection.Peer.Role)
        {
            case NodeRole.Manager:
                OnManagerFrame(connection, frame);
                return;
            case NodeRole.DataNode when frame.Type == MessageType.State:
                OnState(connection, frame);
                return;
            default:
                throw new ProtocolException($"A {connection.Peer.Role} may not send frame type {(byte)frame.Type} to a data node.");
        }
    }

    private void OnManagerFrame(Connection connection, in Frame frame)
    {
        FlushSet.Batch batch;
        switch (frame.Type)
        {
            case MessageType.ManagerHello:
            {
                (int sender, _, _) = MembershipWire.ReadHello(frame);
                lock (_gate)
                {
                    if (_managers.ContainsKey(connection)) OnHelloLocked(connection, sender);
                    batch = Flushes.Take();
                }
                break;
            }
            case MessageType.ViewChange:
            {
                ClusterView view = MembershipWire.ReadView(frame);
                lock (_gate)
                {
                    if (_managers.ContainsKey(connection)) OnViewLocked(view);
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.AbcastData:
            {
                DataMessage<WriteOp> m = AbcastWire.ReadData(frame, _cluster.Config.MaxFrameBytes);
                bool kept = false;
                try
                {
                    lock (_gate)
                    {
                        if (IsFrom(connection, m.Id.Sender))
                        {
                            if (_replica is null) _ignored++;
                            else kept = _replica.Skeen.OnData(m) == ReceiveOutcome.Accepted;
                        }
                        batch = FinishLocked();
                    }
                }
                finally
                {
                    if (!kept) m.Payload.Release();
                }
                break;
            }
            case MessageType.AbcastFinal:
            {
                FinalMessage m = AbcastWire.ReadFinal(frame);
                lock (_gate)
                {
                    if (IsFrom(connection, m.Id.Sender))
                    {
                        if (_replica is null) _ignored++;
                        else _replica.Skeen.OnFinal(m);
                    }
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.AbcastMarker:
            {
                EpochMarker m = AbcastWire.ReadMarker(frame);
                lock (_gate)
                {
                    if (IsFrom(connection, m.Sender))
                    {
                        if (_replica is null) _ignored++;
                        else _replica.Skeen.OnMarker(m);
                    }
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.OrphanVerdicts:
            {
                RecoveryDecision decision = OrphanWire.ReadDecision(frame);
                lock (_gate)
                {
                    if (_managers.ContainsKey(connection)) ApplyDecisionLocked(decision);
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.ViewQuery:
            {
                (ulong id, int[] dead) = MembershipWire.ReadQuery(frame);
                lock (_gate)
                {
                    if (_managers.ContainsKey(connection))
                    {
                        if (AnyOpenLocked(dead)) _parked.Add(new ParkedQuery(connection, id, dead));
                        else AnswerQueryLocked(connection, id);
                    }
                    batch = Flushes.Take();
                }
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a manager.");
        }
        batch.Flush();
    }

    /// <summary>
    /// Whether a frame from a manager still counts. Frames still buffered from a connection that has closed are
    /// dropped, as if the connection had broken before them: a new coordinator relies on nothing arriving from a
    /// dead manager once its connection is gone. A message naming another sender than the connection's breaks the
    /// protocol.
    /// </summary>
    private bool IsFrom(Connection connection, int sender)
    {
        if (!_managers.TryGetValue(connection, out int own)) return false;
        if (own != sender) throw new ProtocolException($"The connection of sender {own} carried a message of sender {sender}.");
        return true;
    }

    /// <summary>Reacts to what the frame did to the replica; returns the connections to flush once the lock is released.</summary>
    private FlushSet.Batch FinishLocked()
    {
        AfterEventLocked();
        return Flushes.Take();
    }

    private void OnHelloLocked(Connection connection, int sender)
    {
        int old = _managers[connection];
        if (old >= 0 && _bySender.GetValueOrDefault(old) == connection) _bySender.Remove(old);
        _managers[connection] = sender;
        if (sender >= 0) _bySender[sender] = connection;
    }

    private void OnViewLocked(ClusterView view)
    {
        if (_view is not null && view.Epoch <= _view.Epoch) return;
        _view = view;
        if (_replica is null)
        {
            if (view.ReceiverLife(NodeId) != _life) return;
            AdmitLocked(view);
            return;
        }
        ViewOutcome outcome = _replica.Skeen.InstallView(view.Skeen);
        if (outcome == ViewOutcome.Installed) ReportOrphansLocked(view);
        else if (outcome is ViewOutcome.Excluded or ViewOutcome.JoinAborted) RestartLocked($"{outcome} by view {view.Epoch}");
    }

    private void AdmitLocked(ClusterView view)
    {
        view.Skeen.TryGetReceiver(NodeId, out ViewMember me);
        if (me.Group != Group)
        {
            Log.Warn($"view {view.Epoch} admits this node to group {me.Group}, but the configuration puts it in group {Group}; ignored");
            return;
        }
        var replica = new Replica(this, NodeId, me.Incarnation, me.Donor);
        _replica = replica;
        if (replica.Skeen.InstallView(view.Skeen) == ViewOutcome.JoinAborted)
        {
            RestartLocked($"donor {me.Donor} left before view {view.Epoch} arrived");
            return;
        }
        Log.Info(me.NeedsTransfer
            ? $"admitted to group {Group} in view {view.Epoch}; waiting for state from node {me.Donor}"
            : $"founding member of group {Group} in view {view.Epoch}");
        if (_early is { } early)
        {
            _early = null;
            InstallTransferLocked(early);
        }
        ReportOrphansLocked(view);
    }

    private void ReportOrphansLocked(ClusterView view)
    {
        if (view.DeadSenders.IsEmpty || _replica is null || ManagerConnection(view.Coordinator) is not { } coordinator) return;
        foreach (int dead in view.DeadSenders) OrphanWire.EnqueueReport(coordinator, _replica.Skeen.ReportOrphans(dead));
        Flushes.Add(coordinator);
    }

    private void ApplyDecisionLocked(RecoveryDecision decision)
    {
        if (_replica is null || _replica.Skeen.View is not { } view || view.ContainsSender(decision.DeadSender)) return;
        try
        {
            _replica.Skeen.ApplyRecovery(decision);
        }
        catch (ArgumentException e)
        {
            throw new ProtocolException($"Recovery verdicts on sender {decision.DeadSender} contradict this replica: {e.Message}");
        }
    }

    private void AfterEventLocked()
    {
        if (_replica is not { } r) return;
        if (r.Skeen.IsStopped) RestartLocked($"{r.Skeen.StopReason}");
        else if (!r.Announced && r.Skeen.IsCaughtUp) AnnounceLocked(r);
    }

    /// <summary>
    /// Starts over as a new life: the view excluded this one, or its donor left before the state arrived. The
    /// managers learn the new life at once and the coordinator admits it again (with a donor that is still there).
    /// </summary>
    private void RestartLocked(string reason)
    {
        Log.Warn($"starting over as a new life ({reason})");
        _replica?.Dispose();
        _replica = null;
        _early?.Release();
        _early = null;
        _life = LifeId.New();
        BroadcastStatusLocked();
    }

    private void AnnounceLocked(Replica r)
    {
        r.Announced = true;
        TimeSpan pause = r.HasDonor ? Stopwatch.GetElapsedTime(r.AdmittedAt) : TimeSpan.Zero;
        Log.Info($"serving in view {_view!.Epoch}: {r.List.Count} bits at position {r.Position}" +
                 (r.HasDonor ? $", caught up {pause.TotalMilliseconds:0.000} ms after admission ({r.TransferBytes} bytes of state)" : ""));
        BroadcastStatusLocked();
        _serving.TrySetResult(new DataNodeReady(r.HasDonor, _view.Epoch, r.Incarnation, r.List.Count, r.Position, pause, r.TransferBytes));
    }

    private void BroadcastStatusLocked()
    {
        NodeStatus status = StatusLocked();
        foreach (Connection c in _managers.Keys)
        {
            MembershipWire.EnqueueStatus(c, status);
            Flushes.Add(c);
        }
    }

    private NodeStatus StatusLocked() =>
        new(_life, _replica?.Phase ?? NodePhase.Fresh, _replica?.Incarnation ?? -1, _view?.Epoch ?? -1, _replica?.Position ?? 0, _replica?.List.Count ?? 0);

    private bool AnyOpenLocked(int[] senders)
    {
        foreach (int s in senders)
            if (_bySender.ContainsKey(s)) return true;
        return false;
    }

    private void AnswerQueryLocked(Connection connection, ulong requestId)
    {
        MembershipWire.EnqueueReport(connection, requestId, _view);
        Flushes.Add(connection);
    }

    // ---- state transfer ----

    /// <summary>Called by the replica, under the lock, at the point of its order the joiner's state is cut at.</summary>
    internal void StartTransfer(int joiner, SkeenTransfer transfer, PackedBitList list, long position)
    {
        ulong life = _view!.ReceiverLife(joiner);
        int length = list.Count;
        ulong[] words = ArrayPool<ulong>.Shared.Rent(Math.Max(1, list.WordCount));
        list.Words.CopyTo(words);
        NodeConfig target = _cluster.Node(joiner);
        _ = Task.Run(() => PushAsync(target, joiner, life, transfer, position, words, length));
    }

    private async Task PushAsync(NodeConfig target, int joiner, ulong life, SkeenTransfer transfer, long position, ulong[] words, int length)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TransferTimeout);
            Connection c = await Dialer.ConnectAsync(Cluster.EndPointOf(target), _cluster.Key, new PeerIdentity(NodeRole.DataNode, (ushort)NodeId),
                Cluster.IdentityOf(target), _cluster.Config.MaxFrameBytes, timeout.Token).ConfigureAwait(false);
            try
            {
                StateTransfer.Enqueue(c, transfer, joiner, life, position, words, length);
                long bytes = c.BytesSent;
                c.Flush();
                Frame ack = await c.ReadAsync(timeout.Token).ConfigureAwait(false);
                Log.Info($"state for node {joiner} (view {transfer.JoinEpoch}): {length} bits at position {position}, {bytes} bytes, " +
                         $"{(ack.IsEnd ? "not acknowledged" : "installed")} after {clock.Elapsed.TotalMilliseconds:0.000} ms");
            }
            finally
            {
                c.Close("state transfer done");
            }
        }
        catch (Exception e) when (e is SocketException or ProtocolException or OperationCanceledException or HandshakeRejectedException or IOException)
        {
            if (!_stop.IsCancellationRequested) Log.Warn($"state transfer to node {joiner} (view {transfer.JoinEpoch}) failed: {e.Message}");
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(words);
        }
    }

    private void OnState(Connection connection, in Frame frame)
    {
        StateTransfer t = StateTransfer.Read(frame, _cluster.Config.MaxFrameBytes);
        long bytes = frame.Payload.Length + Frame.HeaderSize;
        bool kept = false;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (t.Joiner == NodeId && t.JoinerLife == _life)
            {
                t.Bytes = bytes;
                if (_replica is null)
                {
                    _early?.Release();
                    _early = t;
                    kept = true;
                }
                else
                {
                    InstallTransferLocked(t);
                    AfterEventLocked();
                }
            }
            batch = Flushes.Take();
        }
        if (!kept) t.Release();
        batch.Flush();
        Replies.Ok(connection, 0, t.Position);
    }

    private void InstallTransferLocked(StateTransfer t)
    {
        Replica r = _replica!;
        if (r.HasState || t.Skeen.JoinEpoch != r.Incarnation || t.Skeen.Donor != r.Donor)
        {
            Log.Warn($"ignored a state transfer from node {t.Skeen.Donor} for view {t.Skeen.JoinEpoch}: this life was admitted in view {r.Incarnation} from node {r.Donor}");
            return;
        }
        r.Load(t);
        r.Skeen.InstallTransfer(t.Skeen);
        Log.Info($"installed state from node {t.Skeen.Donor}: {t.Length} bits at position {t.Position} ({t.Bytes} bytes)");
    }

    // ---- reads and diagnostics ----

    private void Read(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int index = frame.Type == MessageType.Get ? r.I32() : 0;
        r.End();
        lock (_gate)
        {
            if (_replica is not { Skeen.IsCaughtUp: true, Skeen.IsStopped: false } replica)
            {
                Replies.Error(connection, id, ErrorCode.NotReady, $"data node {NodeId} is not serving yet ({StatusLocked().Phase})", flush: false);
                DeferredFlush.Request(connection);
                return;
            }
            PackedBitList list = replica.List;
            switch (frame.Type)
            {
                case MessageType.Get when (uint)index >= (uint)list.Count:
                    Replies.Error(connection, id, ErrorCode.OutOfRange, $"Index {index} is out of range for a list of Count {list.Count}.", flush: false);
                    DeferredFlush.Request(connection);
                    return;
                case MessageType.Get:
                    Replies.Ok(connection, id, list.Get(index) ? 1 : 0);
                    return;
                case MessageType.Count:
                    Replies.Ok(connection, id, list.Count);
                    return;
                default:
                    Span<byte> head = stackalloc byte[20];
                    var w = new PayloadWriter(head);
                    w.U64(id);
                    w.I32(list.Count);
                    w.I64(replica.Position);
                    BulkCodec.Enqueue(connection, MessageType.Bits, head, list.Words);
                    DeferredFlush.Request(connection);
                    return;
            }
        }
    }

    /// <summary>
    /// <c>StatsReply: reqId u64 | length i32 | position i64 | phase u8 | incarnation i64 | epoch i64 | pending i32 |
    /// ignored i64 | accepted i64 | rejected i64 | protocolErrors i64</c>
    /// </summary>
    private void ReplyStats(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.End();
        Span<byte> reply = stackalloc byte[8 + 4 + 8 + 1 + 8 + 8 + 4 + 8 * 4];
        var w = new PayloadWriter(reply);
        lock (_gate)
        {
            NodeStatus s = StatusLocked();
            w.U64(id);
            w.I32(s.Length);
            w.I64(s.Position);
            w.U8((byte)s.Phase);
            w.I64(s.Incarnation);
            w.I64(s.Epoch);
            w.I32(_replica?.Skeen.PendingCount ?? 0);
            w.I64(_ignored);
        }
        w.I64(Counters.Accepted);
        w.I64(Counters.Rejected);
        w.I64(Counters.ProtocolErrors);
        connection.Send(MessageType.StatsReply, reply);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _server.Dispose();
        lock (_gate)
        {
            foreach (Connection c in _managers.Keys.ToArray()) c.Close("data node shutting down");
            _replica?.Dispose();
            _replica = null;
            _early?.Release();
        }
    }

    private sealed record ParkedQuery(Connection Connection, ulong RequestId, int[] DeadSenders);
}
