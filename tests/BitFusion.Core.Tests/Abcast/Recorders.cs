using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

/// <summary>Records a receiver's effects in order.</summary>
internal sealed class ReceiverRecorder : ISkeenReceiverOutput<string>
{
    public List<(int Sender, ProposalMessage Proposal)> Proposals { get; } = new();
    public List<(MessageId Id, long Timestamp, string Payload)> Delivered { get; } = new();
    public List<(MessageId Id, string Payload, DiscardReason Reason)> Discarded { get; } = new();
    public List<(int Joiner, SkeenTransfer Transfer)> Transfers { get; } = new();

    /// <summary>Every effect as text, in order, to check interleavings.</summary>
    public List<string> Trace { get; } = new();

    public IEnumerable<MessageId> DeliveredIds => Delivered.Select(d => d.Id);

    public long ProposalFor(MessageId id) => Proposals.Last(p => p.Proposal.Id == id).Proposal.Timestamp;

    public void Propose(int sender, in ProposalMessage proposal)
    {
        Proposals.Add((sender, proposal));
        Trace.Add($"propose {proposal.Id} {proposal.Timestamp}");
    }

    public void Deliver(MessageId id, long timestamp, string payload)
    {
        Delivered.Add((id, timestamp, payload));
        Trace.Add($"deliver {id} {timestamp}");
    }

    public void Discard(MessageId id, string payload, DiscardReason reason)
    {
        Discarded.Add((id, payload, reason));
        Trace.Add($"discard {id} {reason}");
    }

    public void TransferReady(int joiner, SkeenTransfer transfer)
    {
        Transfers.Add((joiner, transfer));
        Trace.Add($"transfer to {joiner}");
    }
}

/// <summary>Records a sender's effects in order.</summary>
internal sealed class SenderRecorder : ISkeenSenderOutput<string>
{
    public List<(int Node, DataMessage<string> Message)> Data { get; } = new();
    public List<(int Node, FinalMessage Message)> Finals { get; } = new();
    public List<(int Node, EpochMarker Marker)> Markers { get; } = new();
    public List<(MessageId Id, long Timestamp, string Payload)> Completions { get; } = new();
    public List<(MessageId Id, string Payload)> Abandonments { get; } = new();
    public List<string> Trace { get; } = new();

    public void SendData(int node, in DataMessage<string> message)
    {
        Data.Add((node, message));
        Trace.Add($"data {message.Id} to {node}");
    }

    public void SendFinal(int node, in FinalMessage message)
    {
        Finals.Add((node, message));
        Trace.Add($"final {message.Id} {message.Timestamp} to {node}");
    }

    public void SendMarker(int node, in EpochMarker marker)
    {
        Markers.Add((node, marker));
        Trace.Add($"marker {marker.Epoch} to {node}");
    }

    public void Completed(MessageId id, long timestamp, string payload) => Completions.Add((id, timestamp, payload));

    public void Abandoned(MessageId id, string payload) => Abandonments.Add((id, payload));

    public void Clear()
    {
        Data.Clear();
        Finals.Clear();
        Markers.Clear();
        Trace.Clear();
    }
}

/// <summary>Shorthands for building protocol messages in tests.</summary>
internal static class Msg
{
    public static readonly GroupSet G0 = GroupSet.Of(0);

    public static DataMessage<string> Data(int sender, long seq, long ts, GroupSet? groups = null, long epoch = 0, long stable = 0) =>
        new(new MessageId(sender, seq), ts, epoch, groups ?? G0, stable, $"{sender}#{seq}");

    public static FinalMessage Final(int sender, long seq, long ts, long epoch = 0, long stable = 0) =>
        new(new MessageId(sender, seq), ts, epoch, stable);

    public static MessageId Id(int sender, long seq) => new(sender, seq);
}
