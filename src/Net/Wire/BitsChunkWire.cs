using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>A ReadAll answered in chunks (<see cref="MessageType.BitsChunk"/>): every frame repeats the head, then one chunk of the list.</summary>
internal static class BitsChunkWire
{
    public const int HeadBytes = 8 + 8 + 8;

    public static int WriteHead(Span<byte> target, ulong requestId, long length, long seq)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I64(length);
        w.I64(seq);
        return w.Written;
    }

    /// <summary>One frame: the list's length and seq, and its chunk (aliasing the frame), which must belong to a list of that length.</summary>
    public static (ulong RequestId, long Length, long Seq) Read(in Frame frame, long maxLength, out ChunkCodec.Chunk chunk)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        long length = r.Length("length", maxLength);
        long seq = r.I64();
        chunk = ChunkCodec.Read(ref r, Delta.WordsFor(length));
        if (chunk.TotalWords != Delta.WordsFor(length))
            throw new ProtocolException($"A list of {length} bits is sent as {chunk.TotalWords} words.");
        return (id, length, seq);
    }
}
