using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// Every role's StatsReply: <c>reqId u64 | listLength i64 | wordCount i32 | accepted i64 | rejected i64 |
/// protocolErrors i64 | bytesSent i64 | framesSent i64 | handshakeOverflows i64 | slowConsumers i64</c>. The list is the role's own (a primary's or replica's
/// list, a backup's fused words); bytes and frames count everything this process has sent.
/// </summary>
internal readonly record struct NodeStats(long ListLength, int WordCount, long Accepted, long Rejected, long ProtocolErrors, long BytesSent, long FramesSent,
    long HandshakeOverflows, long SlowConsumers)
{
    public static void Send(Connection connection, ulong requestId, long listLength, int wordCount, NetCounters counters)
    {
        Span<byte> reply = stackalloc byte[8 + 8 + 4 + 8 * 7];
        var w = new PayloadWriter(reply);
        w.U64(requestId);
        w.I64(listLength);
        w.I32(wordCount);
        w.I64(counters.Accepted);
        w.I64(counters.Rejected);
        w.I64(counters.ProtocolErrors);
        w.I64(Connection.TotalBytesSent);
        w.I64(Connection.TotalFramesSent);
        w.I64(counters.HandshakeOverflows);
        w.I64(counters.SlowConsumers);
        connection.Send(MessageType.StatsReply, reply);
    }

    public static NodeStats Read(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        r.U64();
        var stats = new NodeStats(r.I64(), r.I32(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
        r.End();
        return stats;
    }
}
