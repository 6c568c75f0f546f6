using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Client;

/// <summary>A list arriving in <c>BitsChunk</c> frames, decoded into the exact-size array the read returns.</summary>
internal sealed class ChunkedRead(int length, long seq)
{
    public int Length { get; } = length;
    public long Seq { get; } = seq;
    public ulong[] Words { get; } = new ulong[Delta.WordsFor(length)];

    /// <summary>Words decoded so far; chunks arrive in order.</summary>
    public int Received { get; private set; }

    public bool IsComplete => Received == Words.Length;

    /// <summary>Decodes the next chunk (its size is the sender's); throws <see cref="ProtocolException"/> for one out of place or corrupt.</summary>
    public void Accept(ref PayloadReader r)
    {
        if (IsComplete) throw new ProtocolException($"A chunk after the end of a {Length}-bit list.");
        // The chunk's word count is at bytes 8..12 of its head; it must fit what is left.
        var peek = r;
        peek.I32();
        peek.I32();
        int words = peek.I32();
        if (words < 1 || words > Words.Length - Received) throw new ProtocolException($"A chunk of {words} words does not fit the {Words.Length - Received} words left.");
        ChunkWire.Read(ref r, Words.Length, Received, Words.AsSpan(Received, words));
        if (Received + words == Words.Length && (Length & 63) != 0 && (Words[^1] >> (Length & 63)) != 0)
            throw new ProtocolException($"A read has bits set past its length {Length}.");
        Received += words;
    }
}
