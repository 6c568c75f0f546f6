using System.Diagnostics;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// One life of a data node's replica: its copy of the group's list, the Skeen receiver that orders writes into
/// it, and the receiver's effects — proposals back to the writing manager, applied writes with a delivery report,
/// state handed to joiners. Guarded by the data node's lock.
/// </summary>
internal sealed class Replica : ISkeenReceiverOutput<WriteOp>, IDisposable
{
    private readonly DataNode _node;

    public Replica(DataNode node, int nodeId, long incarnation, int donor)
    {
        _node = node;
        Incarnation = incarnation;
        Donor = donor;
        HasState = donor == ViewMember.NoDonor;
        Skeen = new SkeenReceiver<WriteOp>(nodeId, incarnation, this);
    }

    public SkeenReceiver<WriteOp> Skeen { get; }

    public PackedBitList List { get; } = new();

    /// <summary>Writes applied so far (refused ones excluded): the position in the group's order of the last one.</summary>
    public long Position { get; private set; }

    public long Incarnation { get; }

    /// <summary>The replica that streams this life its state, or <see cref="ViewMember.NoDonor"/> for a founding member.</summary>
    public int Donor { get; }

    public bool HasDonor => Donor != ViewMember.NoDonor;

    /// <summary>Holds the group's state: a founding member from the start, a joiner once its transfer is loaded.</summary>
    public bool HasState { get; private set; }

    /// <summary>When the view admitting this life was installed (Stopwatch ticks).</summary>
    public long AdmittedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Bytes of the state transfer this life received (0 for a founding member).</summary>
    public long TransferBytes { get; private set; }

    /// <summary>Managers were told this life serves.</summary>
    public bool Announced { get; set; }

    public NodePhase Phase => Skeen.IsCaughtUp ? NodePhase.Serving : NodePhase.Joining;

    /// <summary>Loads a donor's list; Skeen's half is installed next by the caller.</summary>
    public void Load(StateTransfer transfer)
    {
        List.Load(transfer.Words.AsSpan(0, Delta.WordsFor(transfer.Length)), transfer.Length);
        Position = transfer.Position;
        TransferBytes = transfer.Bytes;
        HasState = true;
    }

    public void Propose(int sender, in ProposalMessage proposal)
    {
        if (_node.ManagerConnection(sender) is not { } c) return;
        AbcastWire.EnqueuePropose(c, proposal);
        _node.Flushes.Add(c);
    }

    public void Deliver(MessageId id, long timestamp, WriteOp payload)
    {
        bool applied = payload.TryApply(List, _node.Limits);
        payload.Release();
        if (applied) Position++;
        Report(id, applied ? DeliveryStatus.Applied : DeliveryStatus.OutOfRange, List.Count, applied ? Position : 0);
    }

    public void Discard(MessageId id, WriteOp payload, DiscardReason reason)
    {
        payload.Release();
        // The donor delivered it before its snapshot and reported the value; this replica holds it all the same.
        if (reason == DiscardReason.InTransferredState) Report(id, DeliveryStatus.InSnapshot, 0, 0);
    }

    public void TransferReady(int joiner, SkeenTransfer transfer) => _node.StartTransfer(joiner, transfer, List, Position);

    private void Report(MessageId id, DeliveryStatus status, long value, long position)
    {
        if (_node.ManagerConnection(id.Sender) is not { } c) return;
        AbcastWire.EnqueueDelivered(c, id, status, value, position);
        _node.Flushes.Add(c);
    }

    public void Dispose() => List.Dispose();
}
