using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Effects of a <see cref="PrimaryRole"/>. Messages to backup j go on j's current link, in the order produced;
/// replies go to the client handle the request came with. Implementations must not call back into the role.
/// </summary>
internal interface IPrimaryOutput
{
    /// <summary>When the current link to backup <paramref name="backup"/> last received anything (heartbeats included).</summary>
    long LastHeard(int backup);

    void Attach(int backup, long life, long seq, long length, bool recovering);

    void Delta(int backup, long seq, long watermark, in Delta delta);

    void Snapshot(int backup, ulong token, long life, long seq, ReadOnlySpan<ulong> words, long length, long basisLife, long basisSeq);

    void Serving(int backup, long oldLife, long newLife, long seq);

    void Reencode(int backup);

    void Status(int backup, ulong requestId);

    /// <summary>A recovery attempt starts: every backup attached or is known down.</summary>
    void AttemptStarted()
    {
    }

    void RetainedRequest(int backup, ulong requestId, int primary, long from, long to);

    void Forward(int backup, ulong requestId, int primary, long life, DeltaRecord delta);

    /// <summary>Ask a backup holding lost primary <paramref name="primary"/> at (oldLife, seq) to take newLife, rebuilt from exactly that.</summary>
    void Adopt(int backup, ulong requestId, int primary, long oldLife, long seq, long newLife);

    void ResidualRequest(int backup, ulong requestId, ReadOnlySpan<int> lost);

    /// <summary>Drop the link to a backup suspected of having failed.</summary>
    void Close(int backup, string reason);

    /// <summary>A write is durable (value: the new count), or a Get/Count answer.</summary>
    void Done(long client, ulong requestId, long value);

    /// <summary>
    /// A whole-list answer: the output takes over the reader's share of <paramref name="snapshot"/> and releases it
    /// once the words are sent (or the client is gone), so the list is not copied a second time to be streamed.
    /// </summary>
    void Bits(long client, ulong requestId, SharedSnapshot snapshot);

    void Failed(long client, ulong requestId, Outcome outcome, string message);

    void Recovered(RecoveryResult result);
}
