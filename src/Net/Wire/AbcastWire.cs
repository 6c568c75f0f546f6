using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

using BitFusion.Core.Replication;
using BitFusion.Net.Replication;

namespace BitFusion.Net.Wire;

/// <summary>
/// Skeen's messages between a manager and a data node, on the one FIFO connection the manager keeps to that node.
/// Data, finals, proposals and delivery reports go as runs (one frame, one sender, any number of messages, read and
/// dispatched once), and frames queued back to back leave as one <see cref="MessageType.Batch"/>
/// frame. docs/replication.md lists every field.
/// </summary>
internal static class AbcastWire
{
    /// <summary>Joins the data to the run of data queued last on <paramref name="c"/> when it is from the same sender.</summary>
    public static void EnqueueData(Connection c, in DataMessage<WriteOp> m)
    {
        Span<byte> head = stackalloc byte[DataRun.HeadBytes];
        new PayloadWriter(head).I32(m.Id.Sender);
        Span<byte> item = stackalloc byte[DataRun.ItemHeadBytes];
        var w = new PayloadWriter(item);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        w.I64(m.Epoch);
        w.U64(m.Groups.Mask);
        w.I64(m.StableSeq);
        m.Payload.WriteHead(ref w);
        c.EnqueueRun(MessageType.AbcastData, head, item, m.Payload.Body);
    }

    /// <summary>
    /// Checks every data message of the run before returning it, so a malformed run is refused whole; the payload
    /// of each message the run hands out is rented, and its taker owns it.
    /// </summary>
    public static DataRun ReadData(in Frame frame, int maxFrameBytes) => DataRun.Read(frame.Payload.Span, maxFrameBytes);

    /// <summary>Joins the final to the run of finals queued last on <paramref name="c"/> when it has the same sender and epoch.</summary>
    public static void EnqueueFinal(Connection c, in FinalMessage m)
    {
        Span<byte> head = stackalloc byte[FinalRun.HeadBytes];
        var h = new PayloadWriter(head);
        h.I32(m.Id.Sender);
        h.I64(m.Epoch);
        Span<byte> item = stackalloc byte[FinalRun.ItemBytes];
        var w = new PayloadWriter(item);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        w.I64(m.StableSeq);
        c.EnqueueRun(MessageType.AbcastFinal, head, item);
    }

    /// <summary>Checks every final of the run before returning it, so a malformed run is refused whole.</summary>
    public static FinalRun ReadFinals(in Frame frame) => FinalRun.Read(frame.Payload.Span);

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

    /// <summary>Joins the proposal to the run of proposals queued last on <paramref name="c"/> when it is for the same sender.</summary>
    public static void EnqueuePropose(Connection c, in ProposalMessage m)
    {
        Span<byte> head = stackalloc byte[ProposalRun.HeadBytes];
        new PayloadWriter(head).I32(m.Id.Sender);
        Span<byte> item = stackalloc byte[ProposalRun.ItemBytes];
        var w = new PayloadWriter(item);
        w.I64(m.Id.Seq);
        w.I64(m.Timestamp);
        c.EnqueueRun(MessageType.AbcastPropose, head, item);
    }

    /// <summary>Checks every proposal of the run before returning it, so a malformed run is refused whole.</summary>
    public static ProposalRun ReadProposals(in Frame frame) => ProposalRun.Read(frame.Payload.Span);

    /// <summary>Joins the report to the run of delivery reports queued last on <paramref name="c"/> when it is for the same sender.</summary>
    public static void EnqueueDelivered(Connection c, in DeliveryReport report)
    {
        Span<byte> head = stackalloc byte[DeliveredRun.HeadBytes];
        new PayloadWriter(head).I32(report.Id.Sender);
        Span<byte> item = stackalloc byte[DeliveredRun.ItemBytes];
        var w = new PayloadWriter(item);
        w.I64(report.Id.Seq);
        w.U8((byte)report.Status);
        w.I64(report.Value);
        w.I64(report.Position);
        c.EnqueueRun(MessageType.AbcastDelivered, head, item);
    }

    /// <summary>Checks every report of the run before returning it, so a malformed run is refused whole.</summary>
    public static DeliveredRun ReadDelivered(in Frame frame) => DeliveredRun.Read(frame.Payload.Span);

    internal static void CheckId(MessageId id)
    {
        if (id.Sender < 0 || id.Seq < 1) throw new ProtocolException($"Message id {id} is out of range.");
    }
}
