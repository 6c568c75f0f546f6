using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// A whole list arriving in chunks on one connection, each chunk decoded straight into <see cref="Words"/>: no
/// frame ever holds the list, and no second buffer reassembles it. The words are allocated when the first chunk
/// arrives, at most the list limit, from an authenticated peer with one transfer per connection in flight; the
/// owner keeps them once <see cref="Accept"/> reports the list complete.
/// </summary>
internal sealed class InboundList
{
    private ChunkCursor _cursor;

    private InboundList(ulong key, int totalWords, bool pooled)
    {
        Key = key;
        _cursor = new ChunkCursor(totalWords);
        Pooled = pooled;
        Words = pooled ? WordBuffers.Rent(totalWords) : totalWords == 0 ? [] : GC.AllocateUninitializedArray<ulong>(totalWords);
    }

    /// <summary>What the transfer answers (a request id or a cut token), so a chunk of another transfer is refused.</summary>
    public ulong Key { get; }

    /// <summary>
    /// The list's words: exactly its length, the receiver's to keep; or, when <see cref="Pooled"/>, at least its
    /// length, from <see cref="WordBuffers"/>, for a receiver that only reads them before returning them.
    /// </summary>
    public ulong[] Words { get; }

    public bool Pooled { get; }

    public ReadOnlySpan<ulong> Span => Words.AsSpan(0, _cursor.TotalWords);

    public bool Complete => _cursor.Complete;

    /// <summary>
    /// The transfer a chunk belongs to: <paramref name="current"/> if it continues it, a new one when the chunk
    /// starts another list at word 0 (a transfer of another key replaces one cut short), or a <see cref="ProtocolException"/>.
    /// </summary>
    public static InboundList For(InboundList? current, ulong key, in ChunkCodec.Chunk chunk, bool pooled = false)
    {
        if (current is not null && current.Key == key && !current.Complete) return current;
        if (chunk.Offset == 0) return new InboundList(key, chunk.TotalWords, pooled);
        if (current is null || current.Key != key)
            throw new ProtocolException($"A chunk at word {chunk.Offset} of transfer {key} arrived with no such transfer under way.");
        return current;
    }

    /// <summary>Writes the chunk into place; true when the list is complete. Nothing is written for a re-delivery; an invalid chunk throws.</summary>
    public bool Accept(in ChunkCodec.Chunk chunk)
    {
        switch (_cursor.Judge(chunk.TotalWords, chunk.Offset, chunk.Words, out string? why))
        {
            case ChunkVerdict.Invalid:
                throw new ProtocolException($"Transfer {Key}: {why}.");
            case ChunkVerdict.Next:
                ChunkCodec.Decode(chunk, Words.AsSpan(chunk.Offset, chunk.Words));
                _cursor.Advance(chunk.Words);
                break;
        }
        return _cursor.Complete;
    }
}
