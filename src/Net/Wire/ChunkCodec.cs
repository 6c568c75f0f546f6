using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Buffers;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using K4os.Compression.LZ4;

namespace BitFusion.Net.Wire;

/// <summary>
/// One chunk of a whole list (snapshot, residual, read-all), after its message's head:
/// <c>totalWords i32 | offset i32 | words i32 | codec u8 | bytes i32 | payload</c>. The codec is chosen per chunk:
/// LZ4 only when it saves at least an eighth, else the raw words. A 4 KiB probe decides first, so a chunk of
/// random bits (which LZ4 cannot shrink) costs a probe, not a whole failed compression (docs/protocol.md,
/// "Chunked transfers", has the measurements).
/// </summary>
internal static class ChunkCodec
{
    public const int HeadBytes = 4 + 4 + 4 + 1 + 4;

    /// <summary>1 MiB of words: large enough that per-frame costs vanish, small enough to pipeline a list.</summary>
    public const int MaxChunkWords = 128 << 10;

    private const int ProbeBytes = 4 << 10;

    // LZ4Codec.MaximumOutputSize(ProbeBytes): n + n / 255 + 16.
    private const int ProbeRoom = ProbeBytes + ProbeBytes / 255 + 16;

    /// <summary>The words per chunk when each frame also carries <paramref name="messageHeadBytes"/> of head.</summary>
    public static int ChunkWords(int maxFrameBytes, int messageHeadBytes) =>
        Math.Clamp((maxFrameBytes - 1 - messageHeadBytes - HeadBytes) / 8, 1, MaxChunkWords);

    /// <summary>The most bytes <see cref="Encode"/> writes for a chunk of <paramref name="words"/> words (raw never grows).</summary>
    public static int MaxEncodedBytes(int words) => HeadBytes + words * 8;

    /// <summary>Writes the chunk of <paramref name="words"/> at word <paramref name="offset"/> of a <paramref name="totalWords"/>-word list; returns the bytes written.</summary>
    public static int Encode(int totalWords, int offset, ReadOnlySpan<ulong> words, Span<byte> target)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(words);
        int packed = EncodeHead(totalWords, offset, words, target);
        if (packed < 0)
        {
            raw.CopyTo(target.Slice(HeadBytes, raw.Length));
            return HeadBytes + raw.Length;
        }
        return HeadBytes + packed;
    }

    /// <summary>
    /// Writes the chunk's head into <paramref name="target"/> and, when LZ4 pays, the packed words after it (returns
    /// their length); -1 when the chunk goes raw, so its words can follow the head straight from where they lie.
    /// </summary>
    private static int EncodeHead(int totalWords, int offset, ReadOnlySpan<ulong> words, Span<byte> target)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(words);
        int packed = Compress(raw, target.Slice(HeadBytes, raw.Length));
        ChunkCodecKind codec = packed > 0 ? ChunkCodecKind.Lz4 : ChunkCodecKind.Raw;
        BinaryPrimitives.WriteInt32LittleEndian(target, totalWords);
        BinaryPrimitives.WriteInt32LittleEndian(target[4..], offset);
        BinaryPrimitives.WriteInt32LittleEndian(target[8..], words.Length);
        target[12] = (byte)codec;
        BinaryPrimitives.WriteInt32LittleEndian(target[13..], packed > 0 ? packed : raw.Length);
        return packed > 0 ? packed : -1;
    }

    /// <summary>Queues <paramref name="words"/> on <paramref name="connection"/> as frames of <paramref name="head"/> then one chunk each, all at once.</summary>
    public static void Enqueue(Connection connection, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words, int chunkWords)
    {
        var plan = new ChunkPlan(words.Length, chunkWords);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ScratchBytes(head.Length, Math.Min(chunkWords, Math.Max(1, words.Length))));
        try
        {
            for (int i = 0; i < plan.Count; i++)
            {
                (int offset, int count) = plan[i];
                EnqueueOne(connection, type, head, words.Length, offset, words.Slice(offset, count), buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The scratch <see cref="EnqueueOne"/> needs for a head of <paramref name="headBytes"/> and chunks of <paramref name="chunkWords"/> words.</summary>
    public static int ScratchBytes(int headBytes, int chunkWords) => headBytes + MaxEncodedBytes(chunkWords);

    /// <summary>
    /// Queues one <paramref name="type"/> frame: <paramref name="head"/>, then the chunk of <paramref name="words"/> at word
    /// <paramref name="offset"/> of a <paramref name="totalWords"/>-word list, encoded in <paramref name="scratch"/>
    /// (<see cref="ScratchBytes"/> long), for a sender that paces its chunks itself; true when it went as LZ4.
    /// </summary>
    public static bool EnqueueOne(Connection connection, MessageType type, scoped ReadOnlySpan<byte> head, int totalWords, int offset,
        ReadOnlySpan<ulong> words, Span<byte> scratch)
    {
        head.CopyTo(scratch);
        int packed = EncodeHead(totalWords, offset, words, scratch[head.Length..]);
        if (packed > 0)
        {
            connection.Enqueue(type, scratch[..(head.Length + HeadBytes + packed)]);
            return true;
        }
        // Raw words go from the list into the send queue in one copy, not through the scratch first.
        connection.Enqueue(type, scratch[..(head.Length + HeadBytes)], MemoryMarshal.AsBytes(words));
        return false;
    }

    /// <summary>Reads a chunk to the end of the payload; its bytes alias the frame.</summary>
    public static Chunk Read(scoped ref PayloadReader r, int maxTotalWords)
    {
        int total = r.Count("totalWords", maxTotalWords);
        int offset = r.Count("offset", total);
        int words = r.Count("words", total - offset);
        var codec = (ChunkCodecKind)r.U8();
        int bytes = r.Count("bytes", r.Remaining);
        ReadOnlySpan<byte> payload = r.Bytes(bytes);
        r.End();
        switch (codec)
        {
            case ChunkCodecKind.Raw when bytes != words * 8:
                throw new ProtocolException($"A raw chunk of {words} words carries {bytes} bytes.");
            case ChunkCodecKind.Lz4 when bytes == 0 || bytes >= words * 8:
                throw new ProtocolException($"An LZ4 chunk of {words} words carries {bytes} bytes; it must be smaller than raw.");
            case ChunkCodecKind.Raw or ChunkCodecKind.Lz4:
                return new Chunk(total, offset, words, codec, payload);
            default:
                throw new ProtocolException($"Unknown chunk codec {(byte)codec}.");
        }
    }

    /// <summary>Writes the chunk's words into <paramref name="target"/> (exactly its word count long).</summary>
    public static void Decode(in Chunk chunk, Span<ulong> target)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(target);
        if (chunk.Codec == ChunkCodecKind.Raw)
        {
            chunk.Payload.CopyTo(bytes);
            return;
        }
        int decoded = LZ4Codec.Decode(chunk.Payload, bytes);
        if (decoded != bytes.Length)
            throw new ProtocolException($"Corrupt LZ4 chunk: decoded {decoded} of {bytes.Length} bytes.");
    }

    /// <summary>The LZ4 block of <paramref name="raw"/> if it fits in 7/8 of its size, else 0.</summary>
    private static int Compress(ReadOnlySpan<byte> raw, Span<byte> target)
    {
        int keep = raw.Length - raw.Length / 8;
        if (raw.Length < 64) return 0;
        if (raw.Length > 2 * ProbeBytes)
        {
            // Into room for LZ4's worst case: K4os fails a too-small target slowly (≈ 400 µs against 12 µs for 4 KiB of
            // random bits, measured), so the probe compresses whole and compares.
            Span<byte> room = stackalloc byte[ProbeRoom];
            int tried = LZ4Codec.Encode(raw[..ProbeBytes], room, LZ4Level.L00_FAST);
            if (tried <= 0 || tried > ProbeBytes - ProbeBytes / 8) return 0;
        }
        int packed = LZ4Codec.Encode(raw, target[..keep], LZ4Level.L00_FAST);
        return packed > 0 && packed < keep ? packed : 0;
    }

    internal readonly ref struct Chunk(int totalWords, int offset, int words, ChunkCodecKind codec, ReadOnlySpan<byte> payload)
    {
        public int TotalWords { get; } = totalWords;
        public int Offset { get; } = offset;
        public int Words { get; } = words;
        public ChunkCodecKind Codec { get; } = codec;
        public ReadOnlySpan<byte> Payload { get; } = payload;
    }
}

internal enum ChunkCodecKind : byte
{
    Raw = 0,
    Lz4 = 1,
}
