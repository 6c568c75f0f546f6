using System.Collections.Immutable;

namespace BitFusion.Core.Abcast;

/// <summary>
/// The ordering half of a state transfer, sent next to the application snapshot taken at the same point.
/// The joiner's clock becomes at least <see cref="Clock"/>, which is at least every final timestamp the snapshot
/// reflects. <see cref="Watermarks"/> plus <see cref="Pending"/> are the compact form of "which messages the
/// snapshot reflects": a message of sender s with seq ≤ watermark(s) that is not in <see cref="Pending"/> was
/// delivered (or discarded) by the donor. <see cref="LastDelivered"/> is the key of the donor's last delivery
/// (default when none): every message the joiner delivers itself must order after it.
/// </summary>
internal sealed record SkeenTransfer(
    int Donor,
    long JoinEpoch,
    long Clock,
    OrderKey LastDelivered,
    ImmutableArray<SenderWatermark> Watermarks,
    ImmutableArray<MessageId> Pending,
    ImmutableArray<DeliveredFinal> Delivered);

/// <summary>The highest data sequence number a donor had received from <see cref="Sender"/>.</summary>
internal readonly record struct SenderWatermark(int Sender, long HighestSeq);
