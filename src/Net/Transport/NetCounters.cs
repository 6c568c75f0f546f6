namespace BitFusion.Net.Transport;

/// <summary>Connection-level counters a server exposes in its Stats reply; updated with Interlocked.</summary>
public sealed class NetCounters
{
    private long _accepted, _rejected, _protocolErrors;

    public long Accepted => Interlocked.Read(ref _accepted);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);
    internal void CountRejected() => Interlocked.Increment(ref _rejected);
    internal void CountProtocolError() => Interlocked.Increment(ref _protocolErrors);
}
