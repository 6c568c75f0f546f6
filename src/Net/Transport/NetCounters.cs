namespace BitFusion.Net.Transport;

/// <summary>Connection-level counters a server exposes in its Stats reply and logs; updated with Interlocked.</summary>
internal sealed class NetCounters
{
    private long _accepted, _rejected, _protocolErrors, _handshakeOverflows, _slowConsumers;

    public long Accepted => Interlocked.Read(ref _accepted);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>Connections closed on arrival because too many others were still in their handshake.</summary>
    public long HandshakeOverflows => Interlocked.Read(ref _handshakeOverflows);

    /// <summary>Connections closed because their peer read too slowly and the send queue passed its limit.</summary>
    public long SlowConsumers => Interlocked.Read(ref _slowConsumers);

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);
    internal void CountRejected() => Interlocked.Increment(ref _rejected);
    internal void CountProtocolError() => Interlocked.Increment(ref _protocolErrors);
    internal void CountHandshakeOverflow() => Interlocked.Increment(ref _handshakeOverflows);
    internal void CountSlowConsumer() => Interlocked.Increment(ref _slowConsumers);
}
