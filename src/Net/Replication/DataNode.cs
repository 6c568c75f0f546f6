using BitFusion.Core.Replication;
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
/// This is the adapter of <see cref="DataNodeMember{TPayload}"/>, which decides all of that: each frame is parsed and
/// validated, fed to the machine under one lock, and what the machine emits is enqueued and flushed after the lock
/// is released. The list itself (<see cref="Replica"/>) and the bytes of state pushes stay here.
/// </summary>
internal sealed class DataNode : IFrameHandler, IDisposable
{
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(60);
    private const long PushRetryDelayMs = 100;

    private readonly Lock _gate = new();
    private readonly Cluster _cluster;
    private readonly FrameServer _server;
    private readonly Dictionary<int, Connection> _managers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<DataNodeReady> _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DataNodeMember<WriteOp> _member;
    private readonly ReadLease _lease;
    private Replica? _replica;
    private StateTransfer? _early;
    private readonly Dictionary<Connection, StateTransfer> _incoming = [];
    private long _ignored;

    public DataNode(Cluster cluster, int nodeId, IPEndPoint? bind = null)
    {
        _cluster = cluster;
        Limits = ListLimits.Chunked(cluster.Config.MaxFrameBytes, cluster.Config.MaxListBits);
        NodeConfig me = cluster.Node(nodeId);
        if (me.Role != "datanode") throw new ConfigException($"Node {nodeId} is a {me.Role}, not a data node.");
        NodeId = nodeId;
        Group = me.Group!.Value;
        if (Group >= GroupSet.Capacity) throw new ConfigException($"Data node {nodeId} is in group {Group}; groups run from 0 to {GroupSet.Capacity - 1}.");
        _server = new FrameServer(bind ?? Cluster.BindEndPointOf(me), cluster.Key, new PeerIdentity(NodeRole.DataNode, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes,
            cluster.Config.HeartbeatMs, cluster.Config.MaxHandshakes, cluster.Config.MaxSendQueueBytes ?? 0);
        _lease = ReadLease.For(cluster.Config.SuspectAfterMs);
        _member = new DataNodeMember<WriteOp>(nodeId, Group, LifeId.New, new Effects(this), cluster.Config.Window, _lease, PushRetryDelayMs);
    }

    public int NodeId { get; }

    public int Group { get; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters Counters => _server.Counters;

    /// <summary>Completes the first time this process serves (caught up in a view).</summary>
    public Task<DataNodeReady> Serving => _serving.Task;

    private FlushSet Flushes { get; } = new();

    internal ListLimits Limits { get; private init; }

    public void Start()
    {
        _server.Start();
        _ = SilenceWatch.RunAsync(WatchedConnections, _cluster.Config.HeartbeatMs, _cluster.Config.SuspectAfterMs, _stop.Token);
        _ = RenewLeasesAsync();
    }

    /// <summary>Asks the managers for a read lease every <see cref="ReadLease.RenewEvery"/> while serving (the machine decides whom).</summary>
    private async Task RenewLeasesAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_lease.RenewEvery));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                FlushSet.Batch batch;
                lock (_gate)
                {
                    _member.RenewLease();
                    batch = FinishLocked();
                }
                batch.Flush();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Managers' connections: one silent past suspectAfterMs is closed, so a query parked on it is answered.</summary>
    private List<Connection> WatchedConnections()
    {
        lock (_gate) return [.. _managers.Values];
    }

    /// <summary>A copy of the list and its position, for in-process checks; null while not serving.</summary>
    public (ulong[] Words, long Length, long Position)? Snapshot()
    {
        lock (_gate)
        {
            if (!_member.IsServing || _replica is not { } r) return null;
            return (r.List.Words.ToArray(), r.List.Count, r.Position);
        }
    }

    public void OnOpen(Connection connection)
    {
        if (connection.Peer.Role != NodeRole.Manager) return;
        FlushSet.Batch batch;
        lock (_gate)
        {
            int manager = connection.Peer.NodeId;
            if (_managers.TryGetValue(manager, out Connection? old) && old != connection) _member.ManagerClosed(manager);
            _managers[manager] = connection;
            _member.ManagerConnected(manager);
            batch = FinishLocked();
        }
        batch.Flush();
    }

    public void OnClose(Connection connection)
    {
        if (connection.Peer.Role == NodeRole.DataNode)
        {
            // A transfer that broke off is dropped whole; the donor pushes a fresh cut.
            lock (_gate) _incoming.Remove(connection);
            return;
        }
        if (connection.Peer.Role != NodeRole.Manager) return;
        FlushSet.Batch batch;
        lock (_gate)
        {
            int manager = connection.Peer.NodeId;
            if (_managers.GetValueOrDefault(manager) != connection) return;
            _managers.Remove(manager);
            _member.ManagerClosed(manager);
            batch = FinishLocked();
        }
        batch.Flush();
    }

    /// <summary>Applies the multicasts this read batch brought, in arrival order, under one lock.</summary>
    public void OnBatchEnd(Connection connection)
    {
        if (ReadBatch<ManagerInput>.Take(this, connection) is not { } inputs) return;
        FlushSet.Batch batch;
        int applied = 0;
        try
        {
            lock (_gate)
            {
                for (; applied < inputs.Count; applied++)
                {
                    ManagerInput input = inputs[applied];
                    if (input.IsData) ApplyDataLocked(connection, input.Data);
                    else if (IsFrom(connection, input.Final.Id.Sender)) Count(_member.Final(input.Final));
                }
                batch = FinishLocked();
            }
        }
        finally
        {
            // A message naming the wrong sender ends the batch: the payloads not handed to the machine go back.
            for (int i = applied + 1; i < inputs.Count; i++)
                if (inputs[i].IsData) inputs[i].Data.Payload.Release();
            inputs.Clear();
        }
        batch.Flush();
    }

    private void ApplyDataLocked(Connection connection, in DataMessage<WriteOp> m)
    {
        bool kept = false;
        try
        {
            if (IsFrom(connection, m.Id.Sender)) kept = Count(_member.Data(m)) == ReceiveOutcome.Accepted;
        }
        finally
        {
            if (!kept) m.Payload.Release();
        }
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.Stats:
                ReplyStats(connection, frame);
                return;
            case MessageType.Get or MessageType.Count or MessageType.ReadAll:
                OnBatchEnd(connection);
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
            case NodeRole.DataNode when frame.Type == MessageType.StateChunk:
                OnStateChunk(connection, frame);
                return;
            default:
                throw new ProtocolException($"A {connection.Peer.Role} may not send frame type {(byte)frame.Type} to a data node.");
        }
    }

    private void OnManagerFrame(Connection connection, in Frame frame)
    {
        int manager = connection.Peer.NodeId;
        FlushSet.Batch batch;
        // Any other frame comes after the multicasts before it on this connection.
        if (frame.Type is not (MessageType.AbcastData or MessageType.AbcastFinal)) OnBatchEnd(connection);
        switch (frame.Type)
        {
            case MessageType.ManagerHello:
            {
                (int sender, _, _) = MembershipWire.ReadHello(frame);
                lock (_gate)
                {
                    if (IsCurrent(connection)) _member.ManagerHello(manager, sender);
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.ViewChange:
            {
                ClusterView view = MembershipWire.ReadView(frame);
                lock (_gate)
                {
                    if (IsCurrent(connection)) _member.ViewReceived(manager, view);
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.AbcastData:
            {
                foreach (DataMessage<WriteOp> m in AbcastWire.ReadData(frame, _cluster.Config.MaxFrameBytes))
                    ReadBatch<ManagerInput>.Add(this, connection, ManagerInput.Of(m));
                return;
            }
            case MessageType.AbcastFinal:
            {
                FinalRun run = AbcastWire.ReadFinals(frame);
                for (int i = 0; i < run.Count; i++) ReadBatch<ManagerInput>.Add(this, connection, ManagerInput.Of(run[i]));
                return;
            }
            case MessageType.AbcastMarker:
            {
                EpochMarker m = AbcastWire.ReadMarker(frame);
                lock (_gate)
                {
                    if (IsFrom(connection, m.Sender)) Count(_member.Marker(m));
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.OrphanVerdicts:
            {
                RecoveryDecision decision = OrphanWire.ReadDecision(frame);
                lock (_gate)
                {
                    if (IsCurrent(connection))
                    {
                        try
                        {
                            _member.Verdicts(manager, decision);
                        }
                        catch (ArgumentException e)
                        {
                            throw new ProtocolException($"Recovery verdicts on sender {decision.DeadSender} contradict this replica: {e.Message}");
                        }
                    }
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.LeaseGrant:
            {
                (ulong life, long sentAt) = LeaseWire.Read(frame);
                lock (_gate)
                {
                    if (IsCurrent(connection)) _member.LeaseGranted(manager, life, sentAt);
                    batch = FinishLocked();
                }
                break;
            }
            case MessageType.ViewQuery:
            {
                (ulong id, int[] dead) = MembershipWire.ReadQuery(frame);
                lock (_gate)
                {
                    if (IsCurrent(connection)) _member.Query(manager, id, dead);
                    batch = FinishLocked();
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
    /// dead manager once its connection is gone.
    /// </summary>
    private bool IsCurrent(Connection connection) => _managers.GetValueOrDefault(connection.Peer.NodeId) == connection;

    /// <summary>As <see cref="IsCurrent"/>; a message naming another sender than the connection's breaks the protocol.</summary>
    private bool IsFrom(Connection connection, int sender)
    {
        if (!IsCurrent(connection)) return false;
        int own = _member.SenderOf(connection.Peer.NodeId) ?? -1;
        if (own != sender) throw new ProtocolException($"The connection of sender {own} carried a message of sender {sender}.");
        return true;
    }

    private ReceiveOutcome Count(ReceiveOutcome outcome)
    {
        if (outcome == ReceiveOutcome.Stopped && _replica is null) _ignored++;
        return outcome;
    }

    /// <summary>Takes a state transfer that arrived before the view admitting this life; returns the connections to flush.</summary>
    private FlushSet.Batch FinishLocked()
    {
        if (_early is { } early && _member.WantsTransfer(early.JoinerLife, early.Skeen))
        {
            _early = null;
            InstallTransferLocked(early);
        }
        return Flushes.Take();
    }

    private Connection? ManagerConnection(int manager) => manager >= 0 ? _managers.GetValueOrDefault(manager) : null;

    private NodeStatus StatusLocked() => _member.Status(_replica?.Position ?? 0, _replica?.List.Count ?? 0);

    // ---- state transfer ----

    /// <summary>The machine cut the joiner's state here: copy the list now and push it; the machine hears whether the joiner confirmed it, and cuts again after a failure.</summary>
    private void StartTransferLocked(int joiner, ulong joinerLife, SkeenTransfer transfer)
    {
        Replica r = _replica!;
        long length = r.List.Count;
        ulong[] words = WordBuffers.Rent(r.List.WordCount);
        r.List.Words.CopyTo(words);
        NodeConfig target = _cluster.Node(joiner);
        long position = r.Position;
        _ = Task.Run(() => PushAsync(target, joiner, joinerLife, transfer, position, words, length));
    }

    private async Task PushAsync(NodeConfig target, int joiner, ulong life, SkeenTransfer transfer, long position, ulong[] words, long length)
    {
        var clock = Stopwatch.StartNew();
        bool delivered = false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TransferTimeout);
            Connection c = await Dialer.ConnectAsync(Cluster.EndPointOf(target), _cluster.Key, new PeerIdentity(NodeRole.DataNode, (ushort)NodeId),
                Cluster.IdentityOf(target), _cluster.Config.MaxFrameBytes, timeout.Token).ConfigureAwait(false);
            try
            {
                StatePush.Outcome o = await StatePush.RunAsync(c, transfer, joiner, life, position, words, length,
                    ChunkCodec.ChunkWords(_cluster.Config.MaxFrameBytes, 0), timeout.Token).ConfigureAwait(false);
                delivered = o.Installed;
                Log.Info($"state for node {joiner} (view {transfer.JoinEpoch}): {length} bits at position {position}, {o.Bytes} bytes in " +
                         $"{o.Chunks} chunks ({o.Lz4Chunks} LZ4), {(delivered ? "installed" : "not acknowledged")} after {clock.Elapsed.TotalMilliseconds:0.000} ms");
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
            WordBuffers.Return(words);
        }
        if (_stop.IsCancellationRequested) return;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (delivered) _member.PushConfirmed(joiner, life);
            else _member.PushFailed(joiner, life, NowMs);
            batch = FinishLocked();
        }
        batch.Flush();
    }

    private static long NowMs => Environment.TickCount64;

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
            _member.Tick(NowMs);
            batch = FinishLocked();
        }
        batch.Flush();
    }

    /// <summary>A donor's header: the list's chunks follow on the same connection (none for an empty list).</summary>
    private void OnState(Connection connection, in Frame frame)
    {
        StateTransfer t = StateTransfer.ReadHeader(frame, _cluster.Config.MaxFrameBytes, Limits.MaxListBits);
        lock (_gate)
        {
            if (!_incoming.TryAdd(connection, t)) throw new ProtocolException("A second state header on one transfer's connection.");
        }
        if (t.IsComplete) Received(connection, t);
    }

    /// <summary>
    /// Decodes a chunk straight into the transfer's words, outside the lock: only this connection's read loop touches
    /// its transfer, and nothing of it is installed before the last chunk. A bad chunk closes the connection, which
    /// drops the partial transfer.
    /// </summary>
    private void OnStateChunk(Connection connection, in Frame frame)
    {
        StateTransfer? t;
        lock (_gate) t = _incoming.GetValueOrDefault(connection);
        if (t is null) throw new ProtocolException("A state chunk without a state header.");
        t.Accept(frame);
        if (t.IsComplete) Received(connection, t);
        else Replies.Ok(connection, (ulong)t.Received, 0);
    }

    /// <summary>The whole state is here: install it (or keep it until the view admitting this life), then confirm.</summary>
    private void Received(Connection connection, StateTransfer t)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            _incoming.Remove(connection);
            if (_member.WantsTransfer(t.JoinerLife, t.Skeen)) InstallTransferLocked(t);
            else if (t.Joiner == NodeId && t.JoinerLife == _member.Life && _member.Skeen is null) _early = t;
            else Log.Warn($"ignored a state transfer from node {t.Skeen.Donor} for view {t.Skeen.JoinEpoch}: not this life's to load");
            batch = FinishLocked();
        }
        batch.Flush();
        Replies.Ok(connection, 0, t.Position);
    }

    private void InstallTransferLocked(StateTransfer t)
    {
        _replica!.Load(t);
        Log.Info($"installed state from node {t.Skeen.Donor}: {t.Length} bits at position {t.Position} ({t.Bytes} bytes)");
        _member.InstallTransfer(t.Skeen);
    }

    // ---- reads and diagnostics ----

    private void Read(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        long index = frame.Type == MessageType.Get ? r.I64() : 0;
        r.End();
        lock (_gate)
        {
            if (!_member.MayServeRead(NowMs) || _replica is not { } replica)
            {
                Replies.Error(connection, id, ErrorCode.NotReady, _member.IsServing
                    ? $"data node {NodeId} holds no read lease (no coordinator granted one within {_lease.Duration} ms)"
                    : $"data node {NodeId} is not serving yet ({_member.Phase})", flush: false);
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
                    Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
                    var w = new PayloadWriter(head);
                    w.U64(id);
                    w.I64(list.Count);
                    w.I64(replica.Position);
                    if (Frame.HeaderSize + head.Length + BulkCodec.MaxEncodedBytes(list.WordCount) <= _cluster.Config.MaxFrameBytes)
                        BulkCodec.Enqueue(connection, MessageType.Bits, head, list.Words);
                    else if (ChunkedReadRefusal(connection, list) is { } refusal)
                        Replies.Error(connection, id, ErrorCode.BadRequest, refusal, flush: false);
                    else
                        EnqueueChunks(connection, head, list.Words);
                    DeferredFlush.Request(connection);
                    return;
            }
        }
    }

    /// <summary>
    /// Why a list too long for one frame cannot be read in chunks here: a manager relays one frame per read, and the
    /// chunks are queued at once, so they must fit the connection's send queue.
    /// </summary>
    private static string? ChunkedReadRefusal(Connection connection, PackedBitList list)
    {
        if (connection.Peer.Role == NodeRole.Manager)
            return $"the list of {list.Count} bits does not fit one frame; read it from a data node directly";
        long bytes = list.WordCount * 8L;
        return bytes + (bytes >> 4) > connection.MaxQueuedBytes
            ? $"the list of {list.Count} bits ({bytes} bytes) exceeds this connection's {connection.MaxQueuedBytes}-byte send queue (maxSendQueueBytes)"
            : null;
    }

    /// <summary><c>BitsChunk: reqId u64 | length i32 | seq i64 | chunk</c> (<see cref="ChunkCodec"/>), every chunk in order.</summary>
    private void EnqueueChunks(Connection connection, ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words) =>
        ChunkCodec.Enqueue(connection, MessageType.BitsChunk, head, words, ChunkCodec.ChunkWords(_cluster.Config.MaxFrameBytes, head.Length));

    /// <summary>
    /// <c>StatsReply: reqId u64 | length i32 | position i64 | phase u8 | incarnation i64 | epoch i64 | pending i32 |
    /// ignored i64 | accepted i64 | rejected i64 | protocolErrors i64</c>
    /// </summary>
    private void ReplyStats(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.End();
        Span<byte> reply = stackalloc byte[8 + 8 + 8 + 1 + 8 + 8 + 4 + 8 * 8];
        var w = new PayloadWriter(reply);
        lock (_gate)
        {
            NodeStatus s = StatusLocked();
            w.U64(id);
            w.I64(s.Length);
            w.I64(s.Position);
            w.U8((byte)s.Phase);
            w.I64(s.Incarnation);
            w.I64(s.Epoch);
            w.I32(_member.Skeen?.PendingCount ?? 0);
            w.I64(_ignored);
        }
        w.I64(Counters.Accepted);
        w.I64(Counters.Rejected);
        w.I64(Counters.ProtocolErrors);
        w.I64(Counters.HandshakeOverflows);
        w.I64(Counters.SlowConsumers);
        w.I64(Connection.TotalBytesSent);
        w.I64(Connection.TotalFramesSent);
        connection.Send(MessageType.StatsReply, reply);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _server.Dispose();
        lock (_gate)
        {
            foreach (Connection c in _managers.Values.ToArray()) c.Close("data node shutting down");
            _replica?.Dispose();
            _replica = null;
            _early = null;
            _incoming.Clear();
        }
    }

    /// <summary>The machine's effects, always called under the data node's lock.</summary>
    private sealed class Effects(DataNode node) : IDataNodeOutput<WriteOp>
    {
        public void SendStatus(int manager)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            MembershipWire.EnqueueStatus(c, node.StatusLocked());
            node.Flushes.Add(c);
        }

        public void SendProposal(int manager, in ProposalMessage proposal)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            AbcastWire.EnqueuePropose(c, proposal);
            node.Flushes.Add(c);
        }

        public void SendOrphanReport(int manager, OrphanReport report)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            OrphanWire.EnqueueReport(c, report);
            node.Flushes.Add(c);
        }

        public void SendViewReport(int manager, ulong queryId, ClusterView? view)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            MembershipWire.EnqueueReport(c, queryId, view);
            node.Flushes.Add(c);
        }

        public void RequestLease(int manager, ulong life)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            LeaseWire.Enqueue(c, MessageType.LeaseRequest, life, NowMs);
            node.Flushes.Add(c);
        }

        public void Admitted(long incarnation, int donor)
        {
            node._replica?.Dispose();
            node._replica = new Replica(incarnation, donor);
        }

        public DeliveryReport Deliver(MessageId id, long timestamp, WriteOp payload)
        {
            Replica r = node._replica!;
            bool applied = r.Apply(payload, node.Limits);
            payload.Release();
            return new DeliveryReport(id, applied ? DeliveryStatus.Applied : DeliveryStatus.OutOfRange, r.List.Count, applied ? r.Position : 0);
        }

        public void Discard(MessageId id, WriteOp payload, DiscardReason reason) => payload.Release();

        public void SendDelivered(int manager, in DeliveryReport report)
        {
            if (node.ManagerConnection(manager) is not { } c) return;
            AbcastWire.EnqueueDelivered(c, report);
            node.Flushes.Add(c);
        }

        public void TransferReady(int joiner, ulong joinerLife, SkeenTransfer transfer) => node.StartTransferLocked(joiner, joinerLife, transfer);

        public void Wake(long time) => _ = node.WakeAsync(time);

        public void Serving()
        {
            Replica r = node._replica!;
            TimeSpan pause = r.HasDonor ? Stopwatch.GetElapsedTime(r.AdmittedAt) : TimeSpan.Zero;
            ClusterView view = node._member.View!;
            Transport.Log.Info($"serving in view {view.Epoch}: {r.List.Count} bits at position {r.Position}" +
                               (r.HasDonor ? $", caught up {pause.TotalMilliseconds:0.000} ms after admission ({r.TransferBytes} bytes of state)" : ""));
            node._serving.TrySetResult(new DataNodeReady(r.HasDonor, view.Epoch, r.Incarnation, r.List.Count, r.Position, pause, r.TransferBytes));
        }

        public void StartedOver(string reason)
        {
            node._replica?.Dispose();
            node._replica = null;
            node._early = null;
        }

        public void Log(string message, bool warning)
        {
            if (warning) Transport.Log.Warn(message);
            else Transport.Log.Info(message);
        }
    }
}
