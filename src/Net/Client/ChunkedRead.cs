using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Client;

/// <summary>A list arriving in <c>BitsChunk</c> frames, decoded into the exact-size array the read returns.</summary>
internal sealed class ChunkedRead(int length, long seq, int chunkWords)
{
    public int Length { get; } = length;
    public long Seq { get; } = seq;
    public int ChunkWords { get; } = chunkWords;
    public ulong[] Words { get; } = new ulong[Delta.WordsFor(length)];
    public int Received { get; private set; }
    public bool IsComplete => Received == ChunkWire.ChunkCount(Words.Length, ChunkWords);

    /// <summary>Decodes the next chunk; throws <see cref="ProtocolException"/> for one out of order, past the last or corrupt.</summary>
    public void Accept(ref PayloadReader r)
    {
        if (IsComplete) throw new ProtocolException($"A chunk after the last of a {Length}-bit list.");
        int first = Received * ChunkWords;
        ChunkWire.Read(ref r, Received, Words.AsSpan(first, Math.Min(ChunkWords, Words.Length - first)));
        if (IsLast && (Length & 63) != 0 && (Words[^1] >> (Length & 63)) != 0)
            throw new ProtocolException($"A read has bits set past its length {Length}.");
        Received++;
    }

    private bool IsLast => Received == ChunkWire.ChunkCount(Words.Length, ChunkWords) - 1;
}
