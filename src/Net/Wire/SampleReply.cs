using System.Runtime.InteropServices;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>SamplesReply: <c>reqId u64 | count i32 | f32 microseconds[count]</c>.</summary>
internal static class SampleReply
{
    public static void Send(Connection connection, ulong requestId, ReadOnlySpan<float> micros)
    {
        Span<byte> head = stackalloc byte[12];
        var w = new PayloadWriter(head);
        w.U64(requestId);
        w.I32(micros.Length);
        connection.Send(MessageType.SamplesReply, head, MemoryMarshal.AsBytes(micros));
    }

    public static float[] Read(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        r.U64();
        int count = r.Count("count", r.Remaining / 4);
        float[] micros = MemoryMarshal.Cast<byte, float>(r.Bytes(count * 4)).ToArray();
        r.End();
        return micros;
    }
}
