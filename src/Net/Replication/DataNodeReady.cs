using BitFusion.Core.Replication;
using BitFusion.Net.Wire;
namespace BitFusion.Net.Replication;

/// <summary>
/// How a data node process came to serve: as a founding member, or by joining with state from a live replica.
/// <see cref="Rejoin"/> is the pause a join costs the group: from the view that admitted this process until it
/// had its state and had caught up (writes to the group complete only once every member has them).
/// </summary>
internal sealed record DataNodeReady(bool Rejoined, long Epoch, long Incarnation, long Length, long Position, TimeSpan Rejoin, long TransferBytes);
