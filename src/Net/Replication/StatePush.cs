using System.Buffers;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// The donor's half of a state transfer on a connection it dialed to the joiner: the header, then the list in
/// chunks, with at most <see cref="InFlightBytes"/> of them unacknowledged so the send queue stays bounded whatever
/// the list's length. The joiner acknowledges each chunk but the last with <c>Ok(index + 1)</c> and the whole state,
/// once installed, with <c>Ok(0, position)</c>. A transfer that breaks off is not resumed: the donor's machine cuts
/// the state again and a fresh push starts from the first chunk (the joiner dropped the partial one with its
/// connection).
/// </summary>
internal static class StatePush
{
    private const int InFlightBytes = 4 << 20;

    public readonly record struct Outcome(bool Installed, long Bytes, int Chunks, int Lz4Chunks);

    public static async Task<Outcome> RunAsync(Connection c, SkeenTransfer transfer, int joiner, ulong life, long position,
        ulong[] words, long length, int chunkWords, CancellationToken cancellation)
    {
        int wordCount = Delta.WordsFor(length);
        var plan = new ChunkPlan(wordCount, chunkWords);
        int chunks = plan.Count;
        int window = Math.Max(2, InFlightBytes / (chunkWords * 8));
        byte[] scratch = ArrayPool<byte>.Shared.Rent(ChunkCodec.ScratchBytes(0, chunkWords));
        try
        {
            StateTransfer.EnqueueHeader(c, transfer, joiner, life, position, length, chunkWords);
            int sent = 0, acknowledged = 0, lz4 = 0;
            while (true)
            {
                for (; sent < chunks && sent - acknowledged < window; sent++)
                {
                    (int first, int count) = plan[sent];
                    if (ChunkCodec.EnqueueOne(c, MessageType.StateChunk, default, wordCount, first, words.AsSpan(first, count), scratch)) lz4++;
                }
                c.Flush();
                Frame reply = await c.ReadAsync(cancellation).ConfigureAwait(false);
                if (reply.IsEnd) return new Outcome(false, c.BytesSent, chunks, lz4);
                if (reply.Type != MessageType.Ok) throw new ProtocolException($"The joiner answered a state chunk with frame type {(byte)reply.Type}.");
                var r = reply.Reader();
                ulong id = r.U64();
                r.I64();
                r.End();
                if (id == 0) return new Outcome(true, c.BytesSent, chunks, lz4);
                if (id <= (ulong)acknowledged || id > (ulong)sent || id >= (ulong)chunks)
                    throw new ProtocolException($"The joiner acknowledged state chunk {id} with {acknowledged} acknowledged and {sent} sent.");
                acknowledged = (int)id;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
