namespace BitFusion.Core.Replication;

/// <summary>How a replica settled one write, in its <c>AbcastDelivered</c> report to the write's manager.</summary>
internal enum DeliveryStatus : byte
{
    /// <summary>Applied; the report carries the new count and the write's position in the group's order.</summary>
    Applied = 0,

    /// <summary>Delivered but refused: its index was out of range at its turn. The report carries the count then.</summary>
    OutOfRange = 1,

    /// <summary>A joining replica received it, but the state transferred to it already reflects it.</summary>
    InSnapshot = 2,
}
