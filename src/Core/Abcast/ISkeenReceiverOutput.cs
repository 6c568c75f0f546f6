namespace BitFusion.Core.Abcast;

/// <summary>
/// Effects of a <see cref="SkeenReceiver{TPayload}"/>, in the order they must happen. Implementations send or
/// apply them and must not call back into the receiver from inside a callback.
/// </summary>
internal interface ISkeenReceiverOutput<TPayload>
{
    /// <summary>Send <paramref name="proposal"/> to <paramref name="sender"/> on the connection the data came in on.</summary>
    void Propose(int sender, in ProposalMessage proposal);

    /// <summary>Apply the message: it is final and no pending message can still be ordered before it.</summary>
    void Deliver(MessageId id, long timestamp, TPayload payload);

    /// <summary>The message will never be delivered here; release its payload.</summary>
    void Discard(MessageId id, TPayload payload, DiscardReason reason);

    /// <summary>
    /// Snapshot the application state now (it reflects exactly the deliveries made so far) and stream it with
    /// <paramref name="transfer"/> to <paramref name="joiner"/>.
    /// </summary>
    void TransferReady(int joiner, SkeenTransfer transfer);
}
