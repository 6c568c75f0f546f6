namespace BitFusion.Core.Idempotency;

/// <summary>How a write that was accepted for processing ended, as remembered for its retries.</summary>
internal enum WriteOutcome : byte
{
    /// <summary>Applied: the list changed.</summary>
    Applied,

    /// <summary>Decided and not applied (its index was out of range at its turn): a retry gets the same refusal.</summary>
    Refused,

    /// <summary>It may or may not have been applied and nobody can tell any more (its replicas left before reporting).</summary>
    Unknown,
}

/// <summary>A write's first result: the outcome, the list's count after it (or at its turn) and its place in the order.</summary>
internal readonly record struct WriteResult(WriteOutcome Outcome, long Value, long Position);
