using System.Buffers.Binary;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Core.Idempotency;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Microsoft.Extensions.ObjectPool;

namespace BitFusion.Net.Fusion;

/// <summary>
/// The primary side of fusion: a bit list that backs itself up to f fused backups. Every mutation becomes a delta
/// streamed to each backup, and completes once every streaming backup has acknowledged it; up to
/// <see cref="ClusterConfig.Window"/> operations are in flight. Opening one rebuilds the list from the backups
/// and the other primaries if the cluster already knew it (a restart after a crash).
/// Use it in-process as a library, or behind a <see cref="PrimaryNode"/> that serves it to clients.
/// </summary>
public sealed class FusedBitList : IDisposable
{
    /// <summary>Clients whose recent writes are remembered for their retries; each window is the cluster's write window.</summary>
    internal const int DedupClients = 64;

    // A monitor, not a Lock: writers wait on it for window space and readers for durability.
    internal readonly object Gate = new();
    private readonly PackedBitList _list = new();
    private readonly PendingRing _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly ObjectPool<OpCompletion> _completions;
    private readonly List<Connection> _toFlush = [];
    private readonly ListLimits _limits;
    private SharedSnapshot? _readSnapshot;
    private readonly WriteDedup _dedup;
    private long _seq;
    private bool _serving;
    private long _nextRequestId;
    private long _closedLinkBytes;
    private TaskCompletionSource _linkChange = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Diagnostics.NodeGauges.WindowSource _metrics;

    private FusedBitList(Cluster cluster, int nodeId)
    {
        Cluster = cluster;
        NodeId = (ushort)nodeId;
        PrimaryIndex = cluster.PrimaryIndex(nodeId);
        Code = new FusionCode(cluster.Primaries.Count, cluster.Faults);
        _pending = new PendingRing(cluster.Config.Window);
        _limits = ListLimits.For(cluster.Config.MaxFrameBytes);
        _dedup = new WriteDedup(DedupClients, cluster.Config.Window);
        Links = cluster.Backups.Select((b, j) => new BackupLink(this, j, b)).ToArray();
        _completions = new DefaultObjectPool<OpCompletion>(new DefaultPooledObjectPolicy<OpCompletion>(), cluster.Config.Window);
        _metrics = Diagnostics.NodeGauges.AddWindow("fusion", cluster.Config.Window, () => { lock (Gate) return _pending.Count; }, () => { lock (Gate) return _seq - Links.Where(l => l.Streaming).Select(l => l.Acked).DefaultIfEmpty(_seq).Min(); });
    }

    internal Cluster Cluster { get; }

    /// <summary>Each write's time from arrival to completion at this primary; guarded by <see cref="Gate"/>.</summary>
    internal Diagnostics.LatencyLog UpdateTimes { get; } = new("fusion");

    /// <summary>The update times recorded since the last call, in microseconds.</summary>
    public float[] DrainUpdateTimes()
    {
        lock (Gate) return UpdateTimes.Drain();
    }
    internal ushort NodeId { get; }
    internal FusionCode Code { get; }
    internal BackupLink[] Links { get; }
    internal NetCounters Counters { get; } = new();

    public int PrimaryIndex { get; }

    /// <summary>How the list came up: fresh, or rebuilt, and how long that took.</summary>
    public RecoveryReport? Recovery { get; private set; }

    public int Count
    {
        get
        {
            lock (Gate) return _list.Count;
        }
    }

    public long Seq
    {
        get
        {
            lock (Gate) return _seq;
        }
    }

    /// <summary>Bytes this primary has sent to and received from its backups (headers included).</summary>
    public long BackupWireBytes
    {
        get
        {
            long total = _closedLinkBytes;
            foreach (BackupLink link in Links)
                if (link.Connection is { } c) total += c.BytesSent + c.BytesReceived;
            return total;
        }
    }

    internal long SeqLocked => _seq;
    internal int CountLocked => _list.Count;
    internal bool ServingLocked => _serving;

    /// <summary>Connects to every backup and recovers this primary's list; returns when it is serving.</summary>
    public static async Task<FusedBitList> OpenAsync(Cluster cluster, int nodeId, CancellationToken cancellation = default)
    {
        var list = new FusedBitList(cluster, nodeId);
        foreach (BackupLink link in list.Links) _ = link.RunAsync(list._stop.Token);
        try
        {
            list.Recovery = await new FusedRecovery(list).RunAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            list.Dispose();
            throw;
        }
        return list;
    }

    /// <summary>Completes when a backup link attaches, closes or is found unreachable: what a waiting recovery waits for.</summary>
    internal Task LinkChange
    {
        get
        {
            lock (Gate) return _linkChange.Task;
        }
    }

    internal void SignalLinkChange()
    {
        TaskCompletionSource changed;
        lock (Gate)
        {
            changed = _linkChange;
            _linkChange = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    internal ulong NextRequestId() => (ulong)Interlocked.Increment(ref _nextRequestId);

    public ValueTask<long> AppendAsync(bool bit) => SubmitAsync(ListOp.Append, 0, bit);
    public ValueTask<long> SetAsync(int index, bool bit) => SubmitAsync(ListOp.Set, index, bit);
    public ValueTask<long> InsertAsync(int index, bool bit) => SubmitAsync(ListOp.Insert, index, bit);
    public ValueTask<long> RemoveAtAsync(int index) => SubmitAsync(ListOp.RemoveAt, index, false);
    public ValueTask<long> SwapRemoveAtAsync(int index) => SubmitAsync(ListOp.SwapRemoveAt, index, false);

    /// <summary>Reads a bit of the local list, which may include writes not yet acknowledged by every backup.</summary>
    public bool Get(int index)
    {
        lock (Gate) return _list.Get(index);
    }

    /// <summary>A copy of the list's words and its length.</summary>
    public (ulong[] Words, int Length) Snapshot()
    {
        lock (Gate) return (_list.Words.ToArray(), _list.Count);
    }

    private ValueTask<long> SubmitAsync(ListOp op, int index, bool bit)
    {
        OpCompletion waiter = _completions.Get();
        waiter.Pool = _completions;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        bool submitted;
        ErrorCode code;
        string? error;
        lock (Gate)
        {
            WaitForWindowLocked();
            submitted = TryApplyLocked(op, index, bit, default, 0, new PendingOp { Waiter = waiter, Started = started }, out code, out error);
        }
        if (!submitted)
        {
            _completions.Return(waiter);
            return ValueTask.FromException<long>(code == ErrorCode.OutOfRange
                ? new ArgumentOutOfRangeException(nameof(index), index, error)
                : new InvalidOperationException(error));
        }
        FlushBackups();
        return waiter.Task;
    }

    /// <summary>
    /// A client's write: applied, streamed and answered once every backup has it — unless the dedup table knows
    /// its (clientId, clientSeq) already: then it joins the write in flight or gets the first result, and nothing is
    /// applied again. Returns false (and changes nothing) with the error to answer.
    /// </summary>
    internal bool TrySubmit(in ClientRequest request, Connection client, out ErrorCode code, out string? error)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        bool applied = false;
        lock (Gate)
        {
            WaitForWindowLocked();
            if (!_serving)
            {
                (code, error) = (ErrorCode.NotReady, "the primary is not serving");
                return false;
            }
            DedupDecision seen = _dedup.Begin(request.ClientId, request.ClientSeq, request.Resend);
            switch (seen.Verdict)
            {
                case DedupVerdict.New:
                    var pending = new PendingOp
                    {
                        Client = client, RequestId = request.RequestId, ClientId = request.ClientId, ClientSeq = request.ClientSeq, Started = started,
                    };
                    if (!TryApplyLocked(request.Op, request.Index, request.Bit, request.Packed, request.Bits, pending, out code, out error))
                    {
                        _dedup.Complete(request.ClientId, request.ClientSeq, new WriteResult(WriteOutcome.Refused, _list.Count, 0));
                        return false;
                    }
                    applied = true;
                    break;
                case DedupVerdict.InFlight when _pending.Redirect(request.ClientId, request.ClientSeq, client, request.RequestId):
                    break;
                case DedupVerdict.Done when seen.Result.Outcome == WriteOutcome.Applied:
                    Replies.Ok(client, request.RequestId, seen.Result.Value, flush: false);
                    if (!_toFlush.Contains(client)) _toFlush.Add(client);
                    break;
                case DedupVerdict.Done when seen.Result.Outcome == WriteOutcome.Refused:
                    (code, error) = (ErrorCode.OutOfRange,
                        $"write {request.ClientSeq} was refused when it was first tried: index {request.Index} was out of range for a list of Count {seen.Result.Value}.");
                    return false;
                default:
                    (code, error) = (ErrorCode.Unknown,
                        $"write {request.ClientSeq} of client {request.ClientId:x16} may or may not have been applied: this primary no longer remembers it (restarted, or the seq is older than its window).");
                    return false;
            }
        }
        if (applied) FlushBackups();
        FlushClients();
        (code, error) = (default, null);
        return true;
    }

    private void WaitForWindowLocked()
    {
        while (_pending.IsFull && !_stop.IsCancellationRequested) Monitor.Wait(Gate, 100);
    }

    /// <summary>
    /// Applies one operation, streams its delta and registers who to tell when every backup has it (a client
    /// connection and request id, or an in-process waiter, with the arrival time). Returns false (and changes
    /// nothing) on a bad index or while not serving.
    /// </summary>
    private bool TryApplyLocked(ListOp op, int index, bool bit, ReadOnlySpan<ulong> packed, int packedBits, PendingOp pending,
        out ErrorCode code, out string? error)
    {
        if (!_serving)
        {
            (code, error) = (ErrorCode.NotReady, "the primary is not serving");
            return false;
        }
        if (_limits.Refuse(op, _list.Count, packedBits) is { } tooLarge)
        {
            (code, error) = (ErrorCode.BadRequest, tooLarge);
            return false;
        }
        Delta delta;
        try
        {
            delta = new ListMutation(op, index, bit, packed, packedBits).ApplyTo(_list);
        }
        catch (ArgumentException e)
        {
            (code, error) = (ErrorCode.OutOfRange, e.Message);
            return false;
        }
        _seq++;
        long watermark = WatermarkLocked();
        foreach (BackupLink link in Links)
            if (link.Streaming && link.Connection is { } c)
                DeltaWire.Enqueue(c, MessageType.Delta, _seq, watermark, delta);
        pending.Seq = _seq;
        pending.Value = _list.Count;
        _pending.Add(pending);
        (code, error) = (default, null);
        return true;
    }

    private void FlushBackups()
    {
        foreach (BackupLink link in Links)
            if (link.Connection is { } c) DeferredFlush.Request(c);
    }

    /// <summary>
    /// Answers a read with the state as of now, but only once every earlier write is acknowledged by the backups,
    /// so a client never sees a write that a crash could still undo. Returns false on a bad index.
    /// </summary>
    internal bool TryRead(MessageType kind, int index, Connection client, ulong requestId, out string? error)
    {
        lock (Gate)
        {
            while (_pending.IsFull && !_stop.IsCancellationRequested) Monitor.Wait(Gate, 100);
            if (!_serving)
            {
                error = "the primary is not serving";
                return false;
            }
            var op = new PendingOp { Seq = _seq, Client = client, RequestId = requestId };
            switch (kind)
            {
                case MessageType.Get when (uint)index >= (uint)_list.Count:
                    error = $"Index {index} is out of range for a list of Count {_list.Count}.";
                    return false;
                case MessageType.Get:
                    op.Value = _list.Get(index) ? 1 : 0;
                    break;
                case MessageType.Count:
                    op.Value = _list.Count;
                    break;
                default:
                    if (!client.TryBeginBulkRead())
                    {
                        error = "too many whole-list reads outstanding on this connection";
                        return false;
                    }
                    op.Snapshot = SharedSnapshot.Share(ref _readSnapshot, _seq, _list.Words, _list.Count);
                    op.Value = _seq;
                    break;
            }
            if (_pending.Count == 0) Answer(op);
            else _pending.Add(op);
        }
        FlushClients();
        error = null;
        return true;
    }

    internal ReadOnlySpan<ulong> WordsLocked => _list.Words;

    internal void OnAttached(BackupLink link, long backupSeq, int backupLength, bool loaded)
    {
        lock (Gate)
        {
            link.Attached = true;
            link.BackupSeq = backupSeq;
            link.BackupLoaded = loaded;
            if (_serving) StartStreamingLocked(link);
            Monitor.PulseAll(Gate);
        }
        SignalLinkChange();
        link.Connection?.Flush();
    }

    /// <summary>Brings a backup into the delta stream: a full snapshot if it does not hold this list, else a check that it is current.</summary>
    internal void StartStreamingLocked(BackupLink link)
    {
        if (link.Connection is not { } connection || !link.Attached) return;
        if (!link.BackupLoaded)
        {
            SendSnapshotLocked(connection, 0);
            link.Acked = 0;
            link.Streaming = true;
            link.BackupLoaded = true;
        }
        else if (link.BackupSeq == _seq)
        {
            link.Acked = _seq;
            link.Streaming = true;
        }
        else
        {
            Log.Warn($"backup {link.Index} holds seq {link.BackupSeq} of this primary but the primary is at {_seq}; " +
                     "a dropped connection lost deltas this primary no longer keeps. Restart that backup to re-encode it.");
        }
    }

    internal void SendSnapshotLocked(Connection connection, ulong token)
    {
        Span<byte> head = stackalloc byte[20];
        var w = new PayloadWriter(head);
        w.U64(token);
        w.I64(_seq);
        w.I32(_list.Count);
        BulkCodec.Enqueue(connection, MessageType.Snapshot, head, _list.Words);
    }

    internal void OnSnapshotRequest(BackupLink link, ulong token)
    {
        lock (Gate)
        {
            if (!_serving || link.Connection is not { } c) return;
            SendSnapshotLocked(c, token);
        }
        link.Connection?.Flush();
    }

    internal void OnAck(BackupLink link, long seq)
    {
        lock (Gate)
        {
            if (seq > link.Acked) link.Acked = seq;
            CompleteAckedLocked();
        }
        FlushClients();
    }

    internal void OnLinkClosed(BackupLink link, Connection connection)
    {
        lock (Gate)
        {
            if (link.Connection != connection) return;
            _closedLinkBytes += connection.BytesSent + connection.BytesReceived;
            link.Connection = null;
            link.Attached = false;
            link.Streaming = false;
            CompleteAckedLocked();
            Monitor.PulseAll(Gate);
        }
        SignalLinkChange();
        FlushClients();
    }

    /// <summary>Installs the recovered list and starts streaming to every attached backup.</summary>
    internal void BecomeServing(ReadOnlySpan<ulong> words, int length, long seq)
    {
        lock (Gate)
        {
            _list.Load(words, length);
            _seq = seq;
            _serving = true;
            Span<byte> serving = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(serving, seq);
            foreach (BackupLink link in Links)
            {
                if (link.Connection is not { } c || !link.Attached) continue;
                if (link.BackupLoaded && link.BackupSeq == seq) c.Enqueue(MessageType.Serving, serving);
                StartStreamingLocked(link);
            }
            Monitor.PulseAll(Gate);
        }
        foreach (BackupLink link in Links) link.Connection?.Flush();
    }

    private long WatermarkLocked()
    {
        long min = long.MaxValue;
        foreach (BackupLink link in Links)
            if (link.Streaming) min = Math.Min(min, link.Acked);
        return min == long.MaxValue ? 0 : min;
    }

    private void CompleteAckedLocked()
    {
        bool any = false;
        long min = long.MaxValue;
        foreach (BackupLink link in Links)
            if (link.Streaming)
            {
                any = true;
                min = Math.Min(min, link.Acked);
            }
        if (!any) return;
        bool completed = false;
        while (_pending.Count > 0 && _pending.Head.Seq <= min)
        {
            Answer(_pending.Take());
            completed = true;
        }
        if (completed) Monitor.PulseAll(Gate);
    }

    private void Answer(in PendingOp op)
    {
        if (op.Started != 0) UpdateTimes.Record(op.Started);
        if (op.ClientId != 0) _dedup.Complete(op.ClientId, op.ClientSeq, new WriteResult(WriteOutcome.Applied, op.Value, op.Seq));
        if (op.Waiter is { } waiter)
        {
            waiter.Complete(op.Value);
            return;
        }
        if (op.Client is not { } client) return;
        if (op.Snapshot is { } snapshot)
        {
            Span<byte> head = stackalloc byte[20];
            var w = new PayloadWriter(head);
            w.U64(op.RequestId);
            w.I32(snapshot.Length);
            w.I64(op.Value);
            BulkCodec.Enqueue(client, MessageType.Bits, head, snapshot.Words);
            snapshot.Release();
            client.EndBulkRead();
        }
        else
        {
            Replies.Ok(client, op.RequestId, op.Value, flush: false);
        }
        if (!_toFlush.Contains(client)) _toFlush.Add(client);
    }

    private void FlushClients()
    {
        Connection[]? batch = null;
        int count;
        lock (Gate)
        {
            count = _toFlush.Count;
            if (count == 0) return;
            batch = System.Buffers.ArrayPool<Connection>.Shared.Rent(count);
            _toFlush.CopyTo(batch);
            _toFlush.Clear();
        }
        for (int i = 0; i < count; i++) DeferredFlush.Request(batch[i]);
        System.Buffers.ArrayPool<Connection>.Shared.Return(batch, clearArray: true);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _stop.Cancel();
        lock (Gate)
        {
            foreach (BackupLink link in Links) link.Connection?.Close("primary shutting down");
            Monitor.PulseAll(Gate);
        }
        _list.Dispose();
    }
}
