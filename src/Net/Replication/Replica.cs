using System.Diagnostics;
using BitFusion.Core.Bits;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// The application half of one admitted life of a data node: its copy of the group's list and its position in the
/// group's order. <see cref="Core.Replication.DataNodeMember{TPayload}"/> decides what is applied and when. Guarded
/// by the data node's lock.
/// </summary>
internal sealed class Replica(long incarnation, int donor) : IDisposable
{
    public PackedBitList List { get; } = new();

    /// <summary>Writes applied so far (refused ones excluded): the position in the group's order of the last one.</summary>
    public long Position { get; private set; }

    public long Incarnation { get; } = incarnation;

    /// <summary>The replica that streams this life its state, or <see cref="Core.Abcast.ViewMember.NoDonor"/> for a founding member.</summary>
    public int Donor { get; } = donor;

    public bool HasDonor => Donor != Core.Abcast.ViewMember.NoDonor;

    /// <summary>When the view admitting this life was installed (Stopwatch ticks).</summary>
    public long AdmittedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Bytes of the state transfer this life received (0 for a founding member).</summary>
    public long TransferBytes { get; private set; }

    /// <summary>Takes a donor's list (its words become the list's); Skeen's half is installed next by the caller.</summary>
    public void Load(StateTransfer transfer)
    {
        List.Adopt(transfer.Words, transfer.Length);
        Position = transfer.Position;
        TransferBytes = transfer.Bytes;
    }

    /// <summary>Applies a delivered write; false when its index was out of range at its turn (every replica refuses it alike).</summary>
    public bool Apply(WriteOp op, in ListLimits limits)
    {
        bool applied = op.TryApply(List, limits);
        if (applied) Position++;
        return applied;
    }

    public void Dispose() => List.Dispose();
}
