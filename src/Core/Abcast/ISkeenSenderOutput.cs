namespace BitFusion.Core.Abcast;

/// <summary>
/// Effects of a <see cref="SkeenSender{TPayload}"/>. Data, finals and markers for one data node must leave on one
/// FIFO connection in the order they are produced. Implementations must not call back into the sender from
/// inside a callback.
/// </summary>
internal interface ISkeenSenderOutput<TPayload>
{
    void SendData(int node, in DataMessage<TPayload> message);

    void SendFinal(int node, in FinalMessage message);

    void SendMarker(int node, in EpochMarker marker);

    /// <summary>The multicast is ordered: its final went to every live destination. The sender keeps no reference to <paramref name="payload"/>.</summary>
    void Completed(MessageId id, long timestamp, TPayload payload);

    /// <summary>Every destination died before proposing; nothing will deliver the message.</summary>
    void Abandoned(MessageId id, TPayload payload);
}
