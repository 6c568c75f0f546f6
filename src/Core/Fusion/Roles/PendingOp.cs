namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A request waiting at the primary for every streaming backup to acknowledge <see cref="Seq"/>: a write (its new
/// count in <see cref="Value"/>), or a read answered with the state it saw on arrival.
/// </summary>
internal struct PendingOp
{
    public long Seq;
    public long Client;
    public ulong RequestId;
    public long Value;
    public bool IsWrite;

    /// <summary>The client's own id and write number, so a retry finds this write (0: not deduplicated).</summary>
    public ulong ClientId;
    public ulong ClientSeq;

    /// <summary>For a whole-list read: the list as it was when the read arrived, shared with the reads that saw the same seq.</summary>
    public SharedSnapshot? Snapshot;
}
