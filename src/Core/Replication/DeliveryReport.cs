using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>A replica's report of one write to its manager: how it settled, the count after it and its position.</summary>
internal readonly record struct DeliveryReport(MessageId Id, DeliveryStatus Status, long Value, long Position);
