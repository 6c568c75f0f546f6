using System.Text;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// The generic replies: Ok <c>reqId u64 | value i64</c>, Applied <c>reqId u64 | value i64 | position i64</c> (a
/// replication manager's answer to a write) and Error <c>reqId u64 | code u8 | len u16 | utf8</c>.
/// </summary>
internal static class Replies
{
    public static void Ok(Connection connection, ulong requestId, long value, bool flush = true)
    {
        Span<byte> p = stackalloc byte[16];
        var w = new PayloadWriter(p);
        w.U64(requestId);
        w.I64(value);
        connection.Enqueue(MessageType.Ok, p);
        if (flush) DeferredFlush.Request(connection);
    }

    public static void Applied(Connection connection, ulong requestId, long value, long position)
    {
        Span<byte> p = stackalloc byte[24];
        var w = new PayloadWriter(p);
        w.U64(requestId);
        w.I64(value);
        w.I64(position);
        connection.Enqueue(MessageType.Applied, p);
    }

    /// <summary>Sends at once unless <paramref name="flush"/> is false (the caller flushes, e.g. after releasing a lock).</summary>
    public static void Error(Connection connection, ulong requestId, ErrorCode code, string message, bool flush = true)
    {
        byte[] text = Encoding.UTF8.GetBytes(message.Length > 1000 ? message[..1000] : message);
        Span<byte> p = stackalloc byte[11];
        var w = new PayloadWriter(p);
        w.U64(requestId);
        w.U8((byte)code);
        w.U16((ushort)text.Length);
        connection.Enqueue(MessageType.Error, p, text);
        if (flush) connection.Flush();
    }

    public static (ulong RequestId, ErrorCode Code, string Message) ReadError(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        ulong id = r.U64();
        var code = (ErrorCode)r.U8();
        int length = r.U16();
        string message = Encoding.UTF8.GetString(r.Bytes(length));
        return (id, code, message);
    }
}
