using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>
/// Effects of a <see cref="DataNodeMember{TPayload}"/>. Managers are addressed by node id; the adapter sends on its
/// connection from that manager, or drops the message when there is none. Implementations must not call back into
/// the machine.
/// </summary>
internal interface IDataNodeOutput<TPayload>
{
    /// <summary>Tell <paramref name="manager"/> where this node stands (<see cref="DataNodeMember{TPayload}.Status"/>).</summary>
    void SendStatus(int manager);

    void SendProposal(int manager, in ProposalMessage proposal);

    void SendOrphanReport(int manager, OrphanReport report);

    void SendViewReport(int manager, ulong queryId, ClusterView? view);

    /// <summary>Ask <paramref name="manager"/> for a read lease for <paramref name="life"/>, stamped with this node's clock when it is sent (<see cref="ReadLease"/>).</summary>
    void RequestLease(int manager, ulong life);

    /// <summary>A view admitted this life: create its (empty) application state; a joiner loads its donor's next.</summary>
    void Admitted(long incarnation, int donor);

    /// <summary>Apply a delivered write and say how it settled; the machine reports it to the write's manager.</summary>
    DeliveryReport Deliver(MessageId id, long timestamp, TPayload payload);

    /// <summary>Release a write this replica will never apply.</summary>
    void Discard(MessageId id, TPayload payload, DiscardReason reason);

    /// <summary>Report a delivered write to its manager; the same report may be sent again after a reconnect.</summary>
    void SendDelivered(int manager, in DeliveryReport report);

    /// <summary>
    /// Snapshot the application state now and stream it to the joiner (node, life); then report
    /// <see cref="DataNodeMember{TPayload}.PushConfirmed"/> or <see cref="DataNodeMember{TPayload}.PushFailed"/>.
    /// </summary>
    void TransferReady(int joiner, ulong joinerLife, SkeenTransfer transfer);

    /// <summary>Call <see cref="DataNodeMember{TPayload}.Tick"/> at <paramref name="time"/> (or later).</summary>
    void Wake(long time);

    /// <summary>This life caught up: it serves reads and may donate its state.</summary>
    void Serving();

    /// <summary>This life is over (excluded, or its join aborted): drop the application state; a new life follows.</summary>
    void StartedOver(string reason);

    void Log(string message, bool warning);
}
