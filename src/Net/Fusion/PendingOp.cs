using BitFusion.Net.Transport;

namespace BitFusion.Net.Fusion;

/// <summary>An operation applied at the primary and waiting for every streaming backup to acknowledge its seq.</summary>
internal struct PendingOp
{
    public long Seq;

    /// <summary>When the request arrived (Stopwatch timestamp), for the service time recorded at completion.</summary>
    public long Started;
    public long Value;
    public Connection? Client;
    public ulong RequestId;

    /// <summary>The client's name for this write (0 for reads and in-process writes), so a retry can find it.</summary>
    public ulong ClientId;
    public ulong ClientSeq;
    public OpCompletion? Waiter;

    /// <summary>For a ReadAll: the list as it was when the read arrived, sent once earlier writes are durable.</summary>
    public Wire.SharedSnapshot? Snapshot;
}
