using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

using BitFusion.Core.Replication;
using BitFusion.Net.Replication;

namespace BitFusion.Net.Wire;

/// <summary>
/// Skeen's messages between a manager and a data node, one frame each, on the one FIFO connection the manager
/// keeps to that node; data, finals, proposals and delivery reports queued back to back leave as one
/// <see cref="MessageType.Batch"/> frame. docs/protocol.md lists every field.
/// </summary>
internal static class AbcastWire
{
    public static void EnqueueData(Connection c, in DataMessage<WriteOp> m)
    {
        Span<byte> head = stackalloc byte[44 + WriteOp.HeadBytes];
        var w = new PayloadWriter(head);
        w.I32(m.Id.Sender);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        w.I64(m.Epoch);
        w.U64(m.Groups.Mask);
        w.I64(m.StableSeq);
        m.Payload.WriteHead(ref w);
        c.EnqueueBatched(MessageType.AbcastData, head, m.Payload.Body);
    }

    /// <summary>The payload of a run is rented; the caller owns it once this returns.</summary>
    public static DataMessage<WriteOp> ReadData(in Frame frame, int maxFrameBytes)
    {
        var r = frame.Reader();
        var id = new MessageId(r.I32(), r.I64());
        long timestamp = r.I64(), epoch = r.I64();
        var groups = new GroupSet(r.U64());
        long stable = r.I64();
        CheckId(id);
        if (timestamp < 0 || epoch < 0) throw new ProtocolException($"Data {id} has a negative timestamp or epoch.");
        if (groups.IsEmpty) throw new ProtocolException($"Data {id} is addressed to no group.");
        WriteOp op = WriteOp.Read(ref r, maxFrameBytes);
        try
        {
            r.End();
        }
        catch
        {
            op.Release();
            throw;
        }
        return new DataMessage<WriteOp>(id, timestamp, epoch, groups, stable, op);
    }

    public static void EnqueueFinal(Connection c, in FinalMessage m)
    {
        Span<byte> p = stackalloc byte[36];
        var w = new PayloadWriter(p);
        w.I32(m.Id.Sender);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        w.I64(m.Epoch);
        w.I64(m.StableSeq);
        c.EnqueueBatched(MessageType.AbcastFinal, p);
    }

    public static FinalMessage ReadFinal(in Frame frame)
    {
        var r = frame.Reader();
        var id = new MessageId(r.I32(), r.I64());
        long timestamp = r.I64(), epoch = r.I64(), stable = r.I64();
        r.End();
        CheckId(id);
        if (timestamp < 0 || epoch < 0) throw new ProtocolException($"Final {id} has a negative timestamp or epoch.");
        return new FinalMessage(id, timestamp, epoch, stable);
    }

    public static void EnqueueMarker(Connection c, in EpochMarker m)
    {
        Span<byte> p = stackalloc byte[12];
        var w = new PayloadWriter(p);
        w.I32(m.Sender);
        w.I64(m.Epoch);
        c.Enqueue(MessageType.AbcastMarker, p);
    }

    public static EpochMarker ReadMarker(in Frame frame)
    {
        var r = frame.Reader();
        int sender = r.I32();
        long epoch = r.I64();
        r.End();
        if (sender < 0 || epoch < 0) throw new ProtocolException($"Marker from sender {sender} for epoch {epoch} is out of range.");
        return new EpochMarker(sender, epoch);
    }

    public static void EnqueuePropose(Connection c, in ProposalMessage m)
    {
        Span<byte> p = stackalloc byte[20];
        var w = new PayloadWriter(p);
        w.I32(m.Id.Sender);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        c.EnqueueBatched(MessageType.AbcastPropose, p);
    }

    public static ProposalMessage ReadPropose(in Frame frame)
    {
        var r = frame.Reader();
        var id = new MessageId(r.I32(), r.I64());
        long timestamp = r.I64();
        r.End();
        CheckId(id);
        if (timestamp < 0) throw new ProtocolException($"Proposal for {id} has a negative timestamp.");
        return new ProposalMessage(id, timestamp);
    }

    public static void EnqueueDelivered(Connection c, MessageId id, DeliveryStatus status, long value, long position)
    {
        Span<byte> p = stackalloc byte[29];
        var w = new PayloadWriter(p);
        w.I32(id.Sender);
        w.I64(id.Seq);
        w.U8((byte)status);
        w.I64(value);
        w.I64(position);
        c.EnqueueBatched(MessageType.AbcastDelivered, p);
    }

    public static (MessageId Id, DeliveryStatus Status, long Value, long Position) ReadDelivered(in Frame frame)
    {
        var r = frame.Reader();
        var id = new MessageId(r.I32(), r.I64());
        byte status = r.U8();
        long value = r.I64(), position = r.I64();
        r.End();
        CheckId(id);
        if (status > (byte)DeliveryStatus.InSnapshot) throw new ProtocolException($"Unknown delivery status {status}.");
        return (id, (DeliveryStatus)status, value, position);
    }

    private static void CheckId(MessageId id)
    {
        if (id.Sender < 0 || id.Seq < 1) throw new ProtocolException($"Message id {id} is out of range.");
    }
}
