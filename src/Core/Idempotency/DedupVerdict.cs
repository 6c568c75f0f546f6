namespace BitFusion.Core.Idempotency;

/// <summary>What <see cref="WriteDedup.Begin"/> tells the caller to do with a client's write.</summary>
internal enum DedupVerdict : byte
{
    /// <summary>First sight of this (client, seq): apply it, then <see cref="WriteDedup.Complete"/> or <see cref="WriteDedup.Forget"/>.</summary>
    New,

    /// <summary>The same write is being processed: answer this request when that one completes, apply nothing.</summary>
    InFlight,

    /// <summary>Already completed: answer with <see cref="DedupDecision.First"/>, apply nothing.</summary>
    Done,

    /// <summary>The table no longer knows (seq below the window, or the client was evicted or this process restarted): answer Unknown.</summary>
    Unknown,
}

/// <summary>A verdict, with the stored first result when the verdict is <see cref="DedupVerdict.Done"/>.</summary>
internal readonly record struct DedupDecision(DedupVerdict Verdict, WriteResult First);
