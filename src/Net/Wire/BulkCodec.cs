using System.Buffers;
using System.Runtime.InteropServices;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using K4os.Compression.LZ4;

namespace BitFusion.Net.Wire;

/// <summary>
/// Whole lists on the wire (snapshots, rebuilt lists, state transfer): <c>rawBytes i32 | lz4Bytes i32 | LZ4 block</c>.
/// Random bits do not compress, but real lists (long runs, sparse sets) do, and LZ4 costs little either way.
/// </summary>
internal static class BulkCodec
{
    public static void Enqueue(Connection connection, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxEncodedBytes(words.Length));
        try
        {
            connection.Enqueue(type, head, buffer.AsSpan(0, Encode(words, buffer)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The most bytes <see cref="Encode"/> writes for <paramref name="wordCount"/> words.</summary>
    public static int MaxEncodedBytes(int wordCount) => 8 + LZ4Codec.MaximumOutputSize(wordCount * 8);

    /// <summary>Writes the bulk block for <paramref name="words"/> into <paramref name="target"/>; returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<ulong> words, Span<byte> target)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(words);
        int packed = raw.IsEmpty ? 0 : LZ4Codec.Encode(raw, target[8..], LZ4Level.L00_FAST);
        if (packed < 0) throw new InvalidOperationException("LZ4 could not encode the list.");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(target, raw.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(target[4..], packed);
        return 8 + packed;
    }

    /// <summary>Decodes into a pooled array of exactly <paramref name="wordCount"/> meaningful words; return it to ArrayPool&lt;ulong&gt;.Shared.</summary>
    public static ulong[] Read(ref PayloadReader r, int wordCount, int maxBytes)
    {
        int rawBytes = r.Count("rawBytes", maxBytes);
        int packedBytes = r.Count("lz4Bytes", maxBytes);
        ReadOnlySpan<byte> packed = r.Bytes(packedBytes);
        if (rawBytes != wordCount * 8) throw new ProtocolException($"Bulk data holds {rawBytes} bytes; {wordCount} words expected.");
        ulong[] words = ArrayPool<ulong>.Shared.Rent(Math.Max(1, wordCount));
        if (rawBytes == 0) return words;
        int decoded = LZ4Codec.Decode(packed, MemoryMarshal.AsBytes(words.AsSpan(0, wordCount)));
        if (decoded != rawBytes)
        {
            ArrayPool<ulong>.Shared.Return(words);
            throw new ProtocolException($"Corrupt LZ4 block: decoded {decoded} of {rawBytes} bytes.");
        }
        return words;
    }
}
