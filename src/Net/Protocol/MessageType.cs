namespace BitFusion.Net.Protocol;

/// <summary>The u8 type of every frame. docs/protocol.md describes each payload field by field.</summary>
internal enum MessageType : byte
{
    // Handshake (unauthenticated until Welcome).
    Challenge = 1,
    Hello = 2,
    Welcome = 3,
    Reject = 4,

    /// <summary>Empty; sent on an authenticated connection idle for heartbeatMs and swallowed by the frame loop.</summary>
    Heartbeat = 5,

    /// <summary>Several of Skeen's frames to one peer in one (<see cref="FrameBatch"/>); only on a manager ⇄ data node link.</summary>
    Batch = 6,

    // Generic replies, each echoing the request id.
    Ok = 10,
    Error = 11,
    Bits = 12,

    /// <summary>A manager's reply to a write: the new count and the write's position in its group's order.</summary>
    Applied = 13,

    /// <summary>The answer to ReadAll from a fusion node or a data node: the list in chunks, each <c>reqId u64 | length i32 | seq i64</c> then one chunk.</summary>
    BitsChunk = 14,

    // List operations from a client to a primary (fusion) or a manager (replication).
    Append = 20,
    Set = 21,
    Insert = 22,
    RemoveAt = 23,
    SwapRemoveAt = 24,
    Get = 25,
    Count = 26,
    ReadAll = 27,
    AppendMany = 28,

    // Primary ⇄ backup.
    Attach = 40,
    Attached = 41,
    Delta = 42,
    Ack = 43,
    Snapshot = 44,
    SnapshotRequest = 45,
    Serving = 46,

    /// <summary>Empty: the primary found this backup's contribution for it untrustworthy; the backup starts over.</summary>
    Reencode = 47,

    /// <summary>B → P: <c>token u64, words i32</c> — the first words of the cut's snapshot the backup has folded in (paces the snapshot).</summary>
    SnapshotProgress = 48,

    // Recovery coordinator (a restarting primary) ⇄ backup.
    Status = 50,
    StatusReply = 51,
    RetainedRequest = 52,
    Retained = 53,
    Forward = 54,
    ResidualRequest = 55,
    Residual = 56,

    /// <summary>P → B: <c>reqId u64, primary i32, oldLife i64, seq i64, newLife i64</c> — take the life rebuilt from exactly what this backup holds; answered by Forwarded (Ok) or Error.</summary>
    Adopt = 57,

    // Manager ⇄ data node (Skeen ABCAST), membership, orphan recovery and rejoin by state transfer.
    AbcastData = 70,
    AbcastPropose = 71,
    AbcastFinal = 72,
    NodeStatus = 73,
    ManagerHello = 74,
    State = 75,
    ViewChange = 76,
    OrphanReport = 77,
    OrphanVerdicts = 78,
    AbcastMarker = 79,
    AbcastDelivered = 80,
    ViewQuery = 81,
    ViewReport = 82,
    StateChunk = 83,

    // A data node's read lease (docs/replication.md "Reads"): asked of every manager, granted by the coordinator.
    LeaseRequest = 88,
    LeaseGrant = 89,

    // Operations and diagnostics.
    Stats = 90,
    StatsReply = 91,
    Samples = 92,
    SamplesReply = 93,
    RejoinTimes = 94,
}
