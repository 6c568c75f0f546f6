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
internal sealed partial class ManagerNode
{
    private readonly ManagerWrites<Connection, WriteOp> _writes;
    private SkeenSender<WriteOp>? _sender;
    private readonly int _maxRunBits;
    private readonly ListLimits _limits;

    private void OnClientFrame(Connection connection, in Frame frame)
    {
        ClientRequest request = ClientRequestCodec.Read(frame, grouped: true, _maxRunBits);
        ulong id = request.RequestId;
        int group = request.Group;
        // A client's answers keep the order of its requests: writes collected in this batch go first.
        if (request.Type is not (MessageType.Append or MessageType.Set or MessageType.Insert or MessageType.RemoveAt
            or MessageType.SwapRemoveAt or MessageType.AppendMany)) OnBatchEnd(connection);
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
    /// Hands the write to <see cref="ManagerWrites{TClient, TPayload}"/>, which deduplicates it by (clientId, clientSeq),
    /// queues it behind a full window or multicasts it, and answers now or once it completes.
    /// </summary>
    private void Submit(Connection client, in ClientRequest request)
    {
        long started = Stopwatch.GetTimestamp();
        WriteOp op = request.Bits > 0
            ? WriteOp.AppendMany(request.Packed, request.Bits)
            : new WriteOp { Kind = request.Op, Index = request.Index, Bit = request.Bit };
        ReadBatch<ClientWrite>.Add(this, client, new ClientWrite(request.RequestId,
            new WriteRequest<WriteOp>(request.ClientId, request.ClientSeq, request.Resend, request.Group, op.Kind, request.Index, op, started)));
    }

    /// <summary>Submits the writes a client pipelined in one read batch, in order, under one lock.</summary>
    public void OnBatchEnd(Connection connection)
    {
        if (ReadBatch<ClientWrite>.Take(this, connection) is not { } writes) return;
        FlushSet.Batch batch;
        try
        {
            lock (_gate)
            {
                foreach (ClientWrite write in writes) _writes.Submit(connection, write.RequestId, write.Request);
                batch = _flushes.Take();
            }
        }
        finally
        {
            writes.Clear();
        }
        batch.Flush();
    }

    /// <summary>A client's write, parsed and waiting for the end of its read batch.</summary>
    private readonly record struct ClientWrite(ulong RequestId, WriteRequest<WriteOp> Request);

    /// <summary>Encodes an answer on the client's connection; the caller flushes.</summary>
    private void AnswerLocked(Connection client, ulong requestId, in WriteReply reply, in WriteRequest<WriteOp> request)
    {
        if (client.IsClosed) return;
        switch (reply.Answer)
        {
            case WriteAnswer.Applied:
                Replies.Applied(client, requestId, reply.Value, reply.Position);
                break;
            case WriteAnswer.OutOfRange:
                Replies.Error(client, requestId, ErrorCode.OutOfRange, OutOfRange(request.Kind, request.Index, reply.Value), flush: false);
                break;
            case WriteAnswer.ReplicasLeft:
                Replies.Error(client, requestId, ErrorCode.Unknown,
                    $"every replica of group {request.Group} that delivered the write left before reporting its result: it may or may not have been applied", flush: false);
                break;
            case WriteAnswer.Forgotten:
                Replies.Error(client, requestId, ErrorCode.Unknown,
                    $"write {request.ClientSeq} of client {request.ClientId:x16} may or may not have been applied: this manager does not remember it " +
                    "(it restarted, the client wrote through another manager, or the seq is older than its window)", flush: false);
                break;
            case WriteAnswer.NoMember:
                Replies.Error(client, requestId, ErrorCode.NotDone, $"group {request.Group} has no live data node; the write was not applied", flush: false);
                break;
            case WriteAnswer.Abandoned:
                Replies.Error(client, requestId, ErrorCode.NotDone, $"every replica of group {request.Group} left before the write was ordered; it was not applied", flush: false);
                break;
            default:
                Replies.Error(client, requestId, ErrorCode.NotReady, "this manager is not in a view yet; the write was not applied", flush: false);
                break;
        }
        _flushes.Add(client);
    }

    /// <summary>
    /// A read batch of proposals and delivery reports from one data node, applied in arrival order under one lock:
    /// a window of multicasts costs one lock and one pass of the write machine, not one per frame.
    /// </summary>
    internal void OnNodeReports(NodeLink link, Connection connection, List<NodeReport> reports)
    {
        FlushSet.Batch batch;
        lock (_gate)
        {
            foreach (NodeReport report in reports)
            {
                if (report.IsProposal) ProposalLocked(link, connection, report.Proposal);
                else if (link.Connection == connection && report.Delivery.Id.Sender == _membership.SenderId)
                    _writes.Delivered(report.Delivery.Id.Seq, link.NodeId, link.Incarnation, report.Delivery);
            }
            _writes.Pump();
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    private void ProposalLocked(NodeLink link, Connection connection, in ProposalMessage proposal)
    {
        // Only from the life the view admits: proposals an earlier life of the node sent on this same connection
        // before it started over are for multicasts addressed to that life, which the view no longer holds.
        if (ReadyLink(link.NodeId) == connection && _sender is { IsExcluded: false } sender
            && sender.OnProposal(link.NodeId, proposal) == ReceiveOutcome.Invalid)
            throw new ProtocolException($"Proposal {proposal.Id} at {proposal.Timestamp} breaks the protocol.");
    }

    private static string OutOfRange(ListOp kind, long index, long count) => kind switch
    {
        ListOp.Insert => $"Insert index must be in 0..{count} (Count = {count}); it was {index} when the write's turn came.",
        ListOp.Append => $"An append would make the list of Count {count} longer than the largest list.",
        _ => $"Index {index} is out of range for a list of Count {count} (the count when the write's turn came).",
    };

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
        _writes.Finalized(id.Seq);
    }

    private void Abandoned(MessageId id, WriteOp payload)
    {
        payload.Release();
        _writes.Abandoned(id.Seq);
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

    /// <summary>The write machine's effects, always under the manager's lock.</summary>
    private sealed class WriteEffects(ManagerNode manager) : IManagerWritesOutput<Connection, WriteOp>
    {
        public void Answer(Connection client, ulong requestId, in WriteReply reply, in WriteRequest<WriteOp> request) =>
            manager.AnswerLocked(client, requestId, reply, request);

        public void Release(WriteOp payload) => payload.Release();

        public void Completed(int group, long started) => manager._groups[group].UpdateTimes.Record(started);

        public void Abort(Connection client, bool multicast) =>
            client.Close(multicast ? "the manager left the view; the write's outcome is unknown" : "the manager left the view before starting the write; it was not applied");

        public void Diverged(int group, in DeliveryReport first, in DeliveryReport other) =>
            Log.Warn($"replicas of group {group} disagree on write {first.Id}: {first.Status} {first.Value}@{first.Position} and {other.Status} {other.Value}@{other.Position}");
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
            w.I32(_writes.InFlight);
            w.I32(_reads.Count);
            w.I64(_writes.CompletedCount);
            w.I64(_writes.Divergences);
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
