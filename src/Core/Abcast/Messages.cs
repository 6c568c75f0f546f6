namespace BitFusion.Core.Abcast;

/// <summary>
/// Sender → data node: a new multicast, tentative. <see cref="Timestamp"/> is the sender's clock, a lower bound
/// for the proposal; <see cref="Epoch"/> the sender's view when it sent (it fixes the destination set);
/// <see cref="StableSeq"/> says every earlier message of this sender to the receiver's group with a sequence number
/// up to it has reached all of its destinations as final, so the receiver may forget their final timestamps.
/// </summary>
internal readonly record struct DataMessage<TPayload>(
    MessageId Id, long Timestamp, long Epoch, GroupSet Groups, long StableSeq, TPayload Payload);

/// <summary>Data node → sender: the node's proposed timestamp for a message.</summary>
internal readonly record struct ProposalMessage(MessageId Id, long Timestamp);

/// <summary>Sender → data node: the final timestamp of a message (the maximum of the proposals).</summary>
internal readonly record struct FinalMessage(MessageId Id, long Timestamp, long Epoch, long StableSeq);

/// <summary>
/// Sender → data node, once per installed view: "everything I send you from now on carries at least this epoch".
/// A donor uses it to know that no message sent without the joining replica is still on its way.
/// </summary>
internal readonly record struct EpochMarker(int Sender, long Epoch);
