using System.Diagnostics;
using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;
using BitFusion.Core.Replication;
using BitFusion.Net.Fusion;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// Clients' requests, and writes from arrival to completion. A write is one multicast to its group; it completes
/// (Applied with the count and position its replicas computed at delivery, or an out-of-range Error they decided
/// on) once its final went to every destination and every destination still in the view has delivered it. So any
/// serving replica answers a later read with every acknowledged write in it.
/// </summary>
public sealed partial class ManagerNode
{
    private readonly Dictionary<long, PendingWrite> _writes = [];
    private readonly Stack<PendingWrite> _writePool = new();
    private readonly List<long> _scratchSeqs = [];
    private SkeenSender<WriteOp>? _sender;
    private readonly Queue<QueuedWrite> _queued = new();
    private long _completed;
    private long _divergences;
    private readonly WriteDedup _dedup;
    private readonly int _maxRunBits;
    private readonly ListLimits _limits;

    private void OnClientFrame(Connection connection, in Frame frame)
    {
        ClientRequest request = ClientRequestCodec.Read(frame, grouped: true, _maxRunBits);
        ulong id = request.RequestId;
        int group = request.Group;
        switch (request.Type)
        {
            case MessageType.Stats:
                ReplyStats(connection, id);
                return;
            case MessageType.AppendMany when request.Bits == 0:
                Replies.Error(connection, id, ErrorCode.BadRequest, "AppendMany needs at least one bit");
                return;
            // Refused here, before the multicast: a run too long for the data frame would stick in the sender.
            case MessageType.AppendMany when _limits.Refuse(ListOp.Append, 0, request.Bits) is { } tooLarge:
                Replies.Error(connection, id, ErrorCode.BadRequest, tooLarge);
                return;
        }
        if (!CheckGroup(connection, id, group)) return;
        switch (request.Type)
        {
            case MessageType.Get or MessageType.Count or MessageType.ReadAll:
                Relay(connection, id, group, request.Type, request.Index);
                return;
            case MessageType.Samples or MessageType.RejoinTimes:
            {
                float[] micros;
                lock (_gate) micros = request.Type == MessageType.Samples ? _groups[group].UpdateTimes.Drain() : DrainRejoins(group);
                SampleReply.Send(connection, id, micros);
                return;
            }
            default:
                Submit(connection, request);
                return;
        }
    }

    private bool CheckGroup(Connection connection, ulong id, int group)
    {
        if ((uint)group < (uint)_groups.Length) return true;
        Replies.Error(connection, id, ErrorCode.BadRequest, $"group {group} does not exist; this cluster has groups 0..{_groups.Length - 1}");
        return false;
    }

    private float[] DrainRejoins(int group)
    {
        List<float> rejoins = _groups[group].Rejoins;
        float[] copy = [.. rejoins];
        rejoins.Clear();
        return copy;
    }

    /// <summary>
    /// Starts the write's multicast, unless <see cref="_dedup"/> knows its (clientId, clientSeq): then the retry
    /// joins the write in flight or gets its first result, and nothing is multicast again. While a full window of
    /// writes is in flight a new write is queued behind the others (back-pressure without blocking the reading
    /// thread: the frames that free the window must not wait behind it); the queue holds only what clients sent.
    /// </summary>
    private void Submit(Connection client, in ClientRequest request)
    {
        long started = Stopwatch.GetTimestamp();
        ulong requestId = request.RequestId;
        int group = request.Group;
        string? refusal = null;
        ErrorCode code = default;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (_sender is null || _membership.IsExcluded) (code, refusal) = (ErrorCode.NotReady, "this manager is not in a view yet; the write was not applied");
            else
            {
                DedupDecision seen = _dedup.Begin(request.ClientId, request.ClientSeq, request.Resend);
                switch (seen.Verdict)
                {
                    case DedupVerdict.New when _membership.View!.Skeen.MembersOf(group).IsEmpty:
                        _dedup.Forget(request.ClientId, request.ClientSeq);
                        (code, refusal) = (ErrorCode.NotDone, $"group {group} has no live data node; the write was not applied");
                        break;
                    case DedupVerdict.New:
                    {
                        WriteOp op = request.Bits > 0
                            ? WriteOp.AppendMany(request.Packed, request.Bits)
                            : new WriteOp { Kind = request.Op, Index = request.Index, Bit = request.Bit };
                        var write = new QueuedWrite(client, requestId, request.ClientId, request.ClientSeq, group, request.Index, op, started);
                        if (_queued.Count > 0 || _writes.Count >= Cluster.Config.Window) _queued.Enqueue(write);
                        else StartLocked(write);
                        break;
                    }
                    case DedupVerdict.InFlight when Redirect(request.ClientId, request.ClientSeq, client, requestId):
                        break;
                    case DedupVerdict.Done:
                        AnswerLocked(client, requestId, group, seen.Result, request.Op, request.Index);
                        break;
                    default:
                        (code, refusal) = (ErrorCode.Unknown,
                            $"write {request.ClientSeq} of client {request.ClientId:x16} may or may not have been applied: this manager does not remember it " +
                            "(it restarted, the client wrote through another manager, or the seq is older than its window)");
                        break;
                }
            }
            batch = _flushes.Take();
        }
        batch.Flush();
        if (refusal is not null) Replies.Error(client, requestId, code, refusal);
    }

    /// <summary>Multicasts a write, or answers NotDone when its group has no member left (nothing was applied).</summary>
    private void StartLocked(QueuedWrite write)
    {
        if (_sender is null || _membership.IsExcluded || _membership.View!.Skeen.MembersOf(write.Group).IsEmpty)
        {
            write.Op.Release();
            _dedup.Forget(write.ClientId, write.ClientSeq);
            if (write.Client.IsClosed) return;
            Replies.Error(write.Client, write.RequestId, ErrorCode.NotDone, $"group {write.Group} has no live data node; the write was not applied", flush: false);
            _flushes.Add(write.Client);
            return;
        }
        PendingWrite w = _writePool.Count > 0 ? _writePool.Pop() : new PendingWrite();
        w.Client = write.Client;
        w.RequestId = write.RequestId;
        w.ClientId = write.ClientId;
        w.ClientSeq = write.ClientSeq;
        w.Group = write.Group;
        w.Started = write.Started;
        w.Kind = write.Op.Kind;
        w.Index = write.Index;
        foreach (ViewMember m in _membership.View.Skeen.MembersOf(write.Group)) w.AddDestination(m.Node, m.Incarnation);
        MessageId id = _sender.Multicast(GroupSet.Of(write.Group), write.Op);
        _writes.Add(id.Seq, w);
    }

    /// <summary>
    /// After writes completed, start queued ones, oldest first, while the window has room. Called once Skeen's sender
    /// returned (never from inside its callbacks, which must not call back into it).
    /// </summary>
    private void StartQueuedLocked()
    {
        while (_queued.Count > 0 && _writes.Count < Cluster.Config.Window) StartLocked(_queued.Dequeue());
    }

    /// <summary>A write waiting for room in the window; a retry may redirect its answer.</summary>
    private sealed class QueuedWrite(Connection client, ulong requestId, ulong clientId, ulong clientSeq, int group, int index, WriteOp op, long started)
    {
        public Connection Client { get; set; } = client;
        public ulong RequestId { get; set; } = requestId;
        public ulong ClientId { get; } = clientId;
        public ulong ClientSeq { get; } = clientSeq;
        public int Group { get; } = group;
        public int Index { get; } = index;
        public WriteOp Op { get; } = op;
        public long Started { get; } = started;
    }

    /// <summary>Points a write in flight at the connection and request id of its retry; false if it is not in flight here.</summary>
    private bool Redirect(ulong clientId, ulong clientSeq, Connection client, ulong requestId)
    {
        foreach (PendingWrite w in _writes.Values)
        {
            if (w.ClientId != clientId || w.ClientSeq != clientSeq) continue;
            w.Client = client;
            w.RequestId = requestId;
            return true;
        }
        foreach (QueuedWrite q in _queued)
        {
            if (q.ClientId != clientId || q.ClientSeq != clientSeq) continue;
            q.Client = client;
            q.RequestId = requestId;
            return true;
        }
        return false;
    }

    /// <summary>Answers a completed write (or its retry) with its result; the caller flushes.</summary>
    private void AnswerLocked(Connection client, ulong requestId, int group, in WriteResult result, ListOp kind, int index)
    {
        if (client.IsClosed) return;
        switch (result.Outcome)
        {
            case WriteOutcome.Applied:
                Replies.Applied(client, requestId, result.Value, result.Position);
                break;
            case WriteOutcome.Refused:
                Replies.Error(client, requestId, ErrorCode.OutOfRange, OutOfRange(kind, index, result.Value), flush: false);
                break;
            default:
                Replies.Error(client, requestId, ErrorCode.Unknown,
                    $"every replica of group {group} that delivered the write left before reporting its result: it may or may not have been applied", flush: false);
                break;
        }
        _flushes.Add(client);
    }

    internal void OnPropose(NodeLink link, Connection connection, in ProposalMessage proposal)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            // Only from the life the view admits: proposals an earlier life of the node sent on this same connection
            // before it started over are for multicasts addressed to that life, which the view no longer holds.
            if (ReadyLink(link.NodeId) == connection && _sender is { IsExcluded: false } sender
                && sender.OnProposal(link.NodeId, proposal) == ReceiveOutcome.Invalid)
                throw new ProtocolException($"Proposal {proposal.Id} at {proposal.Timestamp} breaks the protocol.");
            StartQueuedLocked();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    internal void OnDelivered(NodeLink link, Connection connection, (MessageId Id, DeliveryStatus Status, long Value, long Position) report)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection && report.Id.Sender == _membership.SenderId && _writes.TryGetValue(report.Id.Seq, out PendingWrite? w))
            {
                for (int i = 0; i < w.DestinationCount; i++)
                {
                    ref PendingWrite.Destination d = ref w.Destinations[i];
                    if (d.Node == link.NodeId && d.Incarnation == link.Incarnation) d.Done = true;
                }
                if (report.Status != DeliveryStatus.InSnapshot) Record(w, report);
                TryCompleteLocked(report.Id.Seq, w);
            }
            StartQueuedLocked();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    private void Record(PendingWrite w, (MessageId Id, DeliveryStatus Status, long Value, long Position) report)
    {
        if (!w.HasResult)
        {
            (w.HasResult, w.Status, w.Value, w.Position) = (true, report.Status, report.Value, report.Position);
            return;
        }
        if (w.Status == report.Status && w.Value == report.Value && w.Position == report.Position) return;
        _divergences++;
        Log.Warn($"replicas of group {w.Group} disagree on write {report.Id}: {w.Status} {w.Value}@{w.Position} and {report.Status} {report.Value}@{report.Position}");
    }

    private void TryCompleteLocked(long seq, PendingWrite w)
    {
        if (!w.Final || !w.Settled) return;
        _writes.Remove(seq);
        _completed++;
        _groups[w.Group].UpdateTimes.Record(w.Started);
        WriteResult result = !w.HasResult ? new WriteResult(WriteOutcome.Unknown, 0, 0)
            : w.Status == DeliveryStatus.Applied ? new WriteResult(WriteOutcome.Applied, w.Value, w.Position)
            : new WriteResult(WriteOutcome.Refused, w.Value, 0);
        _dedup.Complete(w.ClientId, w.ClientSeq, result);
        if (w.Client is { } client) AnswerLocked(client, w.RequestId, w.Group, result, w.Kind, w.Index);
        w.Reset();
        _writePool.Push(w);
    }

    private static string OutOfRange(ListOp kind, int index, long count) => kind switch
    {
        ListOp.Insert => $"Insert index must be in 0..{count} (Count = {count}); it was {index} when the write's turn came.",
        ListOp.Append => $"An append would make the list of Count {count} longer than the largest list.",
        _ => $"Index {index} is out of range for a list of Count {count} (the count when the write's turn came).",
    };

    /// <summary>After a view change: destinations that left no longer hold a write back.</summary>
    private void SettleDeparturesLocked(ClusterView view)
    {
        _scratchSeqs.Clear();
        foreach ((long seq, PendingWrite w) in _writes)
        {
            bool changed = false;
            for (int i = 0; i < w.DestinationCount; i++)
            {
                ref PendingWrite.Destination d = ref w.Destinations[i];
                if (d.Done || view.Skeen.Contains(d.Node, d.Incarnation)) continue;
                d.Done = true;
                changed = true;
            }
            if (changed) _scratchSeqs.Add(seq);
        }
        foreach (long seq in _scratchSeqs)
            if (_writes.TryGetValue(seq, out PendingWrite? w)) TryCompleteLocked(seq, w);
    }

    // ---- Skeen's sender effects, under the lock ----

    private Connection? ReadyLink(int node)
    {
        if (!_nodes.TryGetValue(node, out NodeLink? link) || link.Connection is not { IsClosed: false } c) return null;
        return link.SyncedLife != 0 && link.SyncedLife == _membership.View?.ReceiverLife(node) ? c : null;
    }

    private void SendData(int node, in DataMessage<WriteOp> message)
    {
        if (ReadyLink(node) is not { } c) return;
        AbcastWire.EnqueueData(c, message);
        _flushes.Add(c);
    }

    private void SendFinal(int node, in FinalMessage message)
    {
        if (ReadyLink(node) is not { } c) return;
        AbcastWire.EnqueueFinal(c, message);
        _flushes.Add(c);
    }

    private void SendMarker(int node, in EpochMarker marker)
    {
        if (ReadyLink(node) is not { } c) return;
        AbcastWire.EnqueueMarker(c, marker);
        _flushes.Add(c);
    }

    private void Completed(MessageId id, long timestamp, WriteOp payload)
    {
        payload.Release();
        if (!_writes.TryGetValue(id.Seq, out PendingWrite? w)) return;
        w.Final = true;
        TryCompleteLocked(id.Seq, w);
    }

    private void Abandoned(MessageId id, WriteOp payload)
    {
        payload.Release();
        if (!_writes.Remove(id.Seq, out PendingWrite? w)) return;
        _dedup.Forget(w.ClientId, w.ClientSeq);
        if (w.Client is { IsClosed: false } client)
        {
            Replies.Error(client, w.RequestId, ErrorCode.NotDone, $"every replica of group {w.Group} left before the write was ordered; it was not applied", flush: false);
            _flushes.Add(client);
        }
        w.Reset();
        _writePool.Push(w);
    }

    /// <summary>Skeen's sender state machine calls back through this, always under the manager's lock.</summary>
    private sealed class SenderEffects(ManagerNode manager) : ISkeenSenderOutput<WriteOp>
    {
        public void SendData(int node, in DataMessage<WriteOp> message) => manager.SendData(node, message);
        public void SendFinal(int node, in FinalMessage message) => manager.SendFinal(node, message);
        public void SendMarker(int node, in EpochMarker marker) => manager.SendMarker(node, marker);
        public void Completed(MessageId id, long timestamp, WriteOp payload) => manager.Completed(id, timestamp, payload);
        public void Abandoned(MessageId id, WriteOp payload) => manager.Abandoned(id, payload);
    }

    /// <summary>
    /// <c>StatsReply: reqId u64 | epoch i64 | sender i32 | coordinator bool | writesInFlight i32 | readsInFlight i32 |
    /// completed i64 | divergences i64 | accepted i64 | rejected i64 | protocolErrors i64 | handshakeOverflows i64 |
    /// slowConsumers i64 | bytesSent i64 | framesSent i64</c> (bytes and frames: everything this process has sent)
    /// </summary>
    private void ReplyStats(Connection connection, ulong id)
    {
        Span<byte> reply = stackalloc byte[8 + 8 + 4 + 1 + 4 + 4 + 8 * 9];
        var w = new PayloadWriter(reply);
        lock (_gate)
        {
            w.U64(id);
            w.I64(_membership.View?.Epoch ?? -1);
            w.I32(_membership.SenderId);
            w.Bool(_membership.IsCoordinator);
            w.I32(_writes.Count);
            w.I32(_reads.Count);
            w.I64(_completed);
            w.I64(_divergences);
        }
        w.I64(ServerCounters.Accepted);
        w.I64(ServerCounters.Rejected);
        w.I64(ServerCounters.ProtocolErrors + Counters.ProtocolErrors);
        w.I64(ServerCounters.HandshakeOverflows);
        w.I64(ServerCounters.SlowConsumers);
        w.I64(Connection.TotalBytesSent);
        w.I64(Connection.TotalFramesSent);
        connection.Send(MessageType.StatsReply, reply);
    }
}
