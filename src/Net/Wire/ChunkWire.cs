using System.Runtime.InteropServices;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using K4os.Compression.LZ4;

namespace BitFusion.Net.Wire;

/// <summary>
/// One chunk of a list too long for one frame (a state transfer's <c>StateChunk</c>, a data node's <c>BitsChunk</c>),
/// after its frame's own head: <c>totalWords i32 | offset i32 | words i32 | codec u8 | bytes i32 | payload</c>, the
/// chunk format fusion's chunked transfers use (docs/protocol.md, "Chunked transfers"). The payload is the words raw
/// (codec 0) or one LZ4 block of them (codec 1). A chunk is at most 1 MiB of words and always fits a frame raw, so a
/// list of any length travels under any frame limit. LZ4 is used only where it pays: a 4 KiB sample decides whether
/// trying the whole chunk is worth it (random bits do not compress, and compressing a MiB that stays a MiB is pure
/// cost), and the block must save an eighth of the chunk.
/// </summary>
internal static class ChunkWire
{
    public const byte Raw = 0;
    public const byte Lz4 = 1;
    public const int HeadBytes = 4 + 4 + 4 + 1 + 4;
    public const int MaxChunkWords = 128 << 10;
    private const int SampleBytes = 4 << 10;

    /// <summary>Words per chunk when each frame also carries <paramref name="messageHeadBytes"/> of head: a raw chunk fits one frame.</summary>
    public static int ChunkWords(int maxFrameBytes, int messageHeadBytes = 0) =>
        Math.Clamp((maxFrameBytes - 1 - messageHeadBytes - HeadBytes) / 8, 1, MaxChunkWords);

    public static int ChunkCount(int wordCount, int chunkWords) => (int)(((long)wordCount + chunkWords - 1) / chunkWords);

    /// <summary>The scratch <see cref="Enqueue"/> needs for chunks of <paramref name="chunkWords"/> words.</summary>
    public static int ScratchBytes(int chunkWords) => LZ4Codec.MaximumOutputSize(chunkWords * 8);

    /// <summary>
    /// Queues a <paramref name="type"/> frame: <paramref name="head"/>, then the chunk holding <paramref name="words"/>
    /// at word <paramref name="offset"/> of a <paramref name="totalWords"/>-word list; true when it went as LZ4.
    /// </summary>
    public static bool Enqueue(Connection connection, MessageType type, scoped ReadOnlySpan<byte> head, int totalWords, int offset,
        ReadOnlySpan<ulong> words, Span<byte> scratch)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(words);
        int packed = Compress(raw, scratch);
        Span<byte> prefix = stackalloc byte[64];
        head.CopyTo(prefix);
        var w = new PayloadWriter(prefix[head.Length..]);
        w.I32(totalWords);
        w.I32(offset);
        w.I32(words.Length);
        w.U8(packed > 0 ? Lz4 : Raw);
        w.I32(packed > 0 ? packed : raw.Length);
        connection.Enqueue(type, prefix[..(head.Length + HeadBytes)], packed > 0 ? scratch[..packed] : raw);
        return packed > 0;
    }

    /// <summary>The LZ4 block of <paramref name="raw"/> in <paramref name="target"/> when it saves an eighth, else 0.</summary>
    public static int Compress(ReadOnlySpan<byte> raw, Span<byte> target)
    {
        if (raw.Length < 64) return 0;
        int sample = Math.Min(SampleBytes, raw.Length);
        int probe = LZ4Codec.Encode(raw[..sample], target, LZ4Level.L00_FAST);
        if (probe <= 0 || probe > sample - sample / 8) return 0;
        int packed = sample == raw.Length ? probe : LZ4Codec.Encode(raw, target, LZ4Level.L00_FAST);
        return packed > 0 && packed <= raw.Length - raw.Length / 8 ? packed : 0;
    }

    /// <summary>
    /// Reads the rest of a chunk frame, which must be the chunk at word <paramref name="offset"/> of a
    /// <paramref name="totalWords"/>-word list holding exactly <paramref name="target"/>'s words, and decodes it there.
    /// Throws <see cref="ProtocolException"/> for a chunk of another list or place, an unknown codec, or a payload that
    /// does not decode to exactly the chunk's words; <paramref name="target"/> may then be partly written, so the
    /// caller drops the whole list it was assembling.
    /// </summary>
    public static void Read(ref PayloadReader r, int totalWords, int offset, Span<ulong> target)
    {
        int total = r.I32(), at = r.I32(), words = r.I32();
        byte codec = r.U8();
        int bytes = r.Count("bytes", r.Remaining);
        ReadOnlySpan<byte> payload = r.Bytes(bytes);
        r.End();
        if (total != totalWords || at != offset || words != target.Length)
            throw new ProtocolException($"A chunk of {words} words at word {at} of a {total}-word list arrived where {target.Length} words at word {offset} of {totalWords} were due.");
        Span<byte> raw = MemoryMarshal.AsBytes(target);
        switch (codec)
        {
            case Raw:
                if (bytes != raw.Length) throw new ProtocolException($"A raw chunk of {words} words carries {bytes} bytes.");
                payload.CopyTo(raw);
                return;
            case Lz4:
                if (bytes == 0 || bytes >= raw.Length || LZ4Codec.Decode(payload, raw) != raw.Length)
                    throw new ProtocolException($"An LZ4 chunk of {words} words ({bytes} bytes) does not decode to exactly its words.");
                return;
            default:
                throw new ProtocolException($"Unknown chunk codec {codec}.");
        }
    }
}
