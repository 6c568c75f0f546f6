using System.Collections.Immutable;

namespace BitFusion.Core.Abcast;

/// <summary>How one replica holds one message of a dead sender.</summary>
internal enum OrphanState
{
    /// <summary>Pending with this replica's proposal.</summary>
    Tentative,

    /// <summary>Pending with the sender's final timestamp.</summary>
    Final,

    /// <summary>Already delivered; the final timestamp is remembered.</summary>
    Delivered,
}

internal readonly record struct OrphanEntry(long Seq, long Epoch, GroupSet Groups, OrphanState State, long Timestamp);

/// <summary>
/// Everything replica <see cref="Node"/> holds of <see cref="DeadSender"/>'s messages, taken after it installed
/// view <see cref="Epoch"/>, which excludes that sender: from then on the sender's late messages are dropped,
/// so the report stays true. <see cref="HasState"/> is false for a joiner whose snapshot has not arrived yet.
/// </summary>
internal sealed record OrphanReport(int Node, long Epoch, int DeadSender, bool HasState, ImmutableArray<OrphanEntry> Entries);

/// <summary>The verdict on one orphan, the same at every replica.</summary>
internal readonly record struct OrphanVerdict(long Seq, bool Finalize, long Timestamp);

/// <summary>Recovery's verdicts on every known message of <see cref="DeadSender"/>, decided in view <see cref="Epoch"/>.</summary>
internal sealed record RecoveryDecision(int DeadSender, long Epoch, ImmutableArray<OrphanVerdict> Verdicts);
