using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Replication;

/// <summary>What a manager answers a client's write: done, not done, or unknown, each with the reason it is so.</summary>
internal enum WriteAnswer : byte
{
    /// <summary>Done: applied; the reply carries the count after it and its position in the group's order.</summary>
    Applied,

    /// <summary>Done, not applied: its index was out of range at its turn (the reply carries the count then).</summary>
    OutOfRange,

    /// <summary>Unknown: every replica that delivered it left before reporting its result.</summary>
    ReplicasLeft,

    /// <summary>Unknown: this manager does not remember the write (it restarted, or the seq is older than its window).</summary>
    Forgotten,

    /// <summary>Not done: its group had no live data node.</summary>
    NoMember,

    /// <summary>Not done: every replica of its group left before it was ordered.</summary>
    Abandoned,

    /// <summary>Not done: this manager is not in a view (yet, or any more).</summary>
    NotReady,
}

/// <summary>An answer with its values (count and position for Applied, count for OutOfRange).</summary>
internal readonly record struct WriteReply(WriteAnswer Answer, long Value, long Position)
{
    /// <summary>The reply for a completed write's remembered result.</summary>
    public static WriteReply Of(in WriteResult result) => result.Outcome switch
    {
        WriteOutcome.Applied => new WriteReply(WriteAnswer.Applied, result.Value, result.Position),
        WriteOutcome.Refused => new WriteReply(WriteAnswer.OutOfRange, result.Value, 0),
        _ => new WriteReply(WriteAnswer.ReplicasLeft, 0, 0),
    };
}
