using BitFusion.Core.Abcast;

namespace BitFusion.Net.Replication;

/// <summary>
/// A multicast's data or final timestamp from a manager, parsed and waiting for the end of its read batch, when the
/// data node applies the batch in arrival order under one lock. A data message owns its payload until applied.
/// </summary>
internal readonly record struct ManagerInput(DataMessage<WriteOp> Data, FinalMessage Final, bool IsData)
{
    public static ManagerInput Of(in DataMessage<WriteOp> data) => new(data, default, true);

    public static ManagerInput Of(in FinalMessage final) => new(default, final, false);
}
