using BitFusion.Core.Replication;
using System.Collections.Immutable;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// What a donor replica streams to a joining one: its position in the group's order and Skeen's half
/// (<see cref="SkeenTransfer"/>) in one <c>State</c> frame, then the list in <c>StateChunk</c> frames (<see cref="ChunkCodec"/>), all
/// taken at one point of the donor's delivery order. The joiner decodes each chunk straight into <see cref="Words"/>,
/// the exact-size array its list then adopts, so no step holds a second copy of the list and no frame carries more
/// than one chunk. <see cref="JoinerLife"/> names the joining process, so a transfer meant for an earlier life is
/// ignored.
/// </summary>
internal sealed class StateTransfer
{
    private const int MaxEntries = 1 << 22;

    private StateTransfer(SkeenTransfer skeen, int joiner, ulong joinerLife, long position, long length, int chunkWords)
    {
        (Skeen, Joiner, JoinerLife, Position, Length, ChunkWords) = (skeen, joiner, joinerLife, position, length, chunkWords);
        Words = GC.AllocateUninitializedArray<ulong>(Delta.WordsFor(length));
        ChunkCount = new ChunkPlan(Words.Length, chunkWords).Count;
    }

    public SkeenTransfer Skeen { get; }
    public int Joiner { get; }
    public ulong JoinerLife { get; }
    public long Position { get; }
    public long Length { get; }
    public int ChunkWords { get; }
    public int ChunkCount { get; }

    /// <summary>Chunks decoded so far; they arrive in order.</summary>
    public int Received { get; private set; }

    public bool IsComplete => Received == ChunkCount;

    /// <summary>Frame bytes received for this transfer (header and chunks), for the joiner's report.</summary>
    public long Bytes { get; private set; }

    /// <summary>Exactly the list's words; complete (and its bits past <see cref="Length"/> zero) once <see cref="IsComplete"/>.</summary>
    public ulong[] Words { get; }

    /// <summary>
    /// <c>joiner i32 | joinEpoch i64 | joinerLife u64 | donor i32 | clock i64 | lastDelivered (timestamp i64, sender i32, seq i64) |
    /// watermarks i32 | (sender i32, seq i64)* | pending i32 | (sender i32, seq i64)* |
    /// delivered i32 | (sender i32, seq i64, timestamp i64, epoch i64, groups u64)* | position i64 | length i64 | chunkWords i32</c>
    /// </summary>
    public static void EnqueueHeader(Connection c, SkeenTransfer t, int joiner, ulong joinerLife, long position, long length, int chunkWords)
    {
        byte[] head = new byte[64 + t.Watermarks.Length * 12 + t.Pending.Length * 12 + t.Delivered.Length * 36 + 20];
        var w = new PayloadWriter(head);
        w.I32(joiner);
        w.I64(t.JoinEpoch);
        w.U64(joinerLife);
        w.I32(t.Donor);
        w.I64(t.Clock);
        w.I64(t.LastDelivered.Timestamp);
        w.I32(t.LastDelivered.Id.Sender);
        w.I64(t.LastDelivered.Id.Seq);
        w.I32(t.Watermarks.Length);
        foreach (SenderWatermark m in t.Watermarks)
        {
            w.I32(m.Sender);
            w.I64(m.HighestSeq);
        }
        w.I32(t.Pending.Length);
        foreach (MessageId id in t.Pending)
        {
            w.I32(id.Sender);
            w.I64(id.Seq);
        }
        w.I32(t.Delivered.Length);
        foreach (DeliveredFinal d in t.Delivered)
        {
            w.I32(d.Id.Sender);
            w.I64(d.Id.Seq);
            w.I64(d.Timestamp);
            w.I64(d.Epoch);
            w.U64(d.Groups.Mask);
        }
        w.I64(position);
        w.I64(length);
        w.I32(chunkWords);
        c.Enqueue(MessageType.State, head.AsSpan(0, w.Written));
    }

    /// <summary>
    /// Parses a header; the list's words follow in <see cref="ChunkCount"/> chunks (<see cref="Accept"/>). A chunk
    /// may hold at most what fits a frame of <paramref name="maxFrameBytes"/>.
    /// </summary>
    public static StateTransfer ReadHeader(in Frame frame, int maxFrameBytes, long maxLength)
    {
        var r = frame.Reader();
        int joiner = r.I32();
        long joinEpoch = r.I64();
        ulong life = r.U64();
        int donor = r.I32();
        long clock = r.I64();
        var last = new OrderKey(r.I64(), new MessageId(r.I32(), r.I64()));
        int n = r.Count("watermarks", Math.Min(MaxEntries, r.Remaining / 12));
        var watermarks = ImmutableArray.CreateBuilder<SenderWatermark>(n);
        for (int i = 0; i < n; i++) watermarks.Add(new SenderWatermark(r.I32(), r.I64()));
        n = r.Count("pending", Math.Min(MaxEntries, r.Remaining / 12));
        var pending = ImmutableArray.CreateBuilder<MessageId>(n);
        for (int i = 0; i < n; i++) pending.Add(new MessageId(r.I32(), r.I64()));
        n = r.Count("delivered", Math.Min(MaxEntries, r.Remaining / 36));
        var delivered = ImmutableArray.CreateBuilder<DeliveredFinal>(n);
        for (int i = 0; i < n; i++) delivered.Add(new DeliveredFinal(new MessageId(r.I32(), r.I64()), r.I64(), r.I64(), new GroupSet(r.U64())));
        long position = r.I64();
        long length = r.Length("length", maxLength);
        int chunkWords = r.Count("chunkWords", ChunkCodec.ChunkWords(maxFrameBytes, 0));
        r.End();
        if (joiner < 0 || donor < 0 || joinEpoch < 1 || clock < 0 || position < 0 || life == 0 || chunkWords < 1)
            throw new ProtocolException($"State transfer for node {joiner} at epoch {joinEpoch} from {donor} has a field out of range.");
        var skeen = new SkeenTransfer(donor, joinEpoch, clock, last, watermarks.MoveToImmutable(), pending.MoveToImmutable(), delivered.MoveToImmutable());
        return new StateTransfer(skeen, joiner, life, position, length, chunkWords) { Bytes = frame.Payload.Length + Frame.HeaderSize };
    }

    /// <summary>
    /// Decodes the next chunk into <see cref="Words"/>. A chunk out of order, past the last, not decoding to exactly
    /// its words, or setting bits past the length throws <see cref="ProtocolException"/>: the transfer is then
    /// dropped whole (the joiner installs only a complete one), and the donor pushes a fresh cut.
    /// </summary>
    public void Accept(in Frame frame)
    {
        if (IsComplete) throw new ProtocolException($"State chunk after the last of {ChunkCount}.");
        int first = Received * ChunkWords;
        Span<ulong> target = Words.AsSpan(first, Math.Min(ChunkWords, Words.Length - first));
        var r = frame.Reader();
        ChunkCodec.Chunk chunk = ChunkCodec.Read(ref r, Words.Length);
        if (chunk.TotalWords != Words.Length || chunk.Offset != first || chunk.Words != target.Length)
            throw new ProtocolException($"A chunk of {chunk.Words} words at word {chunk.Offset} of a {chunk.TotalWords}-word list arrived where {target.Length} words at word {first} of {Words.Length} were due.");
        ChunkCodec.Decode(chunk, target);
        if (Received == ChunkCount - 1) FusionWire.CheckTail(Words, Length, "State transfer");
        Received++;
        Bytes += frame.Payload.Length + Frame.HeaderSize;
    }
}
