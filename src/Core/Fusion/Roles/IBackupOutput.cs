using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Effects of a <see cref="BackupRole"/>, each addressed to a primary's link (a connection id the environment
/// assigned). Everything for one link must leave in the order produced. Implementations must not call back into
/// the role from inside a callback.
/// </summary>
internal interface IBackupOutput
{
    /// <summary>When the link last received anything (heartbeats included), in the role's clock.</summary>
    long LastHeard(long link);

    void Attached(long link, PrimaryView view, bool complete);

    void Ack(long link, long seq);

    void SnapshotRequest(long link, ulong token);

    void Status(long link, ulong requestId, BackupReport report);

    void Retained(long link, ulong requestId, IReadOnlyList<DeltaRecord> deltas);

    void Forwarded(long link, ulong requestId, long seq);

    /// <summary>
    /// The residual of a cut: per lost primary its seq and length, then Σ c·list over the lost in the first
    /// <paramref name="wordCount"/> of <paramref name="words"/>. The output takes the words (rented from
    /// ArrayPool&lt;ulong&gt;.Shared) and returns them once sent, so a large residual leaves chunk by chunk after the
    /// caller's lock is released, with no copy of the whole.
    /// </summary>
    void Residual(long link, ulong requestId, ReadOnlySpan<long> seqs, ReadOnlySpan<long> lengths, ulong[] words, int wordCount);

    void Refused(long link, ulong requestId, Refusal why, string message);

    /// <summary>Close the link: the peer misbehaved, went silent, or must re-attach (this backup reset itself).</summary>
    void Close(long link, string reason);
}
