using System.Runtime.InteropServices;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using K4os.Compression.LZ4;

namespace BitFusion.Net.Wire;

/// <summary>
/// One chunk of a list too long for one frame (a state transfer's <c>StateChunk</c>, a data node's <c>BitsChunk</c>):
/// after the frame's own head, <c>index i32 | codec u8 | data</c>, where chunk i holds words
/// [i × chunkWords, min((i + 1) × chunkWords, wordCount)) as raw little-endian words (codec 0) or one LZ4 block of
/// them (codec 1). A chunk is at most 1 MiB of words and always fits a frame raw, so a list of any length travels
/// under any frame limit. LZ4 is used only where it pays: a 4 KiB sample decides whether trying the whole chunk is
/// worth it (random bits do not compress, and compressing a MiB that stays a MiB is pure cost), and the block must
/// save an eighth of the chunk.
/// </summary>
internal static class ChunkWire
{
    public const byte Raw = 0;
    public const byte Lz4 = 1;
    public const int MaxChunkBytes = 1 << 20;
    private const int HeadBytes = 5;
    private const int SampleBytes = 4 << 10;

    /// <summary>Words per chunk under a frame limit: a raw chunk, its head and a frame head of <paramref name="frameHead"/> bytes fit one frame.</summary>
    public static int ChunkWords(int maxFrameBytes, int frameHead = 0) =>
        Math.Max(1, Math.Min(MaxChunkBytes, maxFrameBytes - Frame.HeaderSize - HeadBytes - frameHead) / 8);

    public static int ChunkCount(int wordCount, int chunkWords) => (int)(((long)wordCount + chunkWords - 1) / chunkWords);

    /// <summary>The scratch <see cref="Enqueue"/> needs for chunks of <paramref name="chunkWords"/> words.</summary>
    public static int ScratchBytes(int chunkWords) => LZ4Codec.MaximumOutputSize(chunkWords * 8);

    /// <summary>Queues a <paramref name="type"/> frame: <paramref name="head"/>, then chunk <paramref name="index"/> of <paramref name="words"/>; true when it went as LZ4.</summary>
    public static bool Enqueue(Connection connection, MessageType type, scoped ReadOnlySpan<byte> head, int index, ReadOnlySpan<ulong> words, Span<byte> scratch)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(words);
        int packed = Compress(raw, scratch);
        Span<byte> prefix = stackalloc byte[64];
        head.CopyTo(prefix);
        var w = new PayloadWriter(prefix[head.Length..]);
        w.I32(index);
        w.U8(packed > 0 ? Lz4 : Raw);
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
    /// Reads the rest of a chunk frame, which must be chunk <paramref name="expected"/>, into <paramref name="target"/>
    /// (exactly its words). Throws <see cref="ProtocolException"/> for a chunk out of order, an unknown codec, or data
    /// that does not decode to exactly the chunk's words; <paramref name="target"/> may then be partly written, so the
    /// caller drops the whole list it was assembling.
    /// </summary>
    public static void Read(ref PayloadReader r, int expected, Span<ulong> target)
    {
        int index = r.I32();
        byte codec = r.U8();
        ReadOnlySpan<byte> data = r.Rest();
        if (index != expected) throw new ProtocolException($"Chunk {index} arrived where chunk {expected} was due.");
        Span<byte> bytes = MemoryMarshal.AsBytes(target);
        switch (codec)
        {
            case Raw:
                if (data.Length != bytes.Length) throw new ProtocolException($"Raw chunk {index} holds {data.Length} bytes; {bytes.Length} expected.");
                data.CopyTo(bytes);
                return;
            case Lz4:
                if (data.Length >= bytes.Length || LZ4Codec.Decode(data, bytes) != bytes.Length)
                    throw new ProtocolException($"LZ4 chunk {index} does not decode to its {bytes.Length} bytes.");
                return;
            default:
                throw new ProtocolException($"Chunk {index} has unknown codec {codec}.");
        }
    }
}
