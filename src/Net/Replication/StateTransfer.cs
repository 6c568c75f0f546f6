using BitFusion.Core.Replication;
using System.Buffers;
using System.Collections.Immutable;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// What a donor replica streams to a joining one: the list (LZ4 bulk words), its position in the group's order,
/// and Skeen's half (<see cref="SkeenTransfer"/>), all taken at one point of the donor's delivery order.
/// <see cref="JoinerLife"/> names the joining process, so a transfer meant for an earlier life is ignored.
/// </summary>
internal sealed class StateTransfer(SkeenTransfer skeen, int joiner, ulong joinerLife, long position, int length, ulong[] words)
{
    private const int MaxEntries = 1 << 22;

    public SkeenTransfer Skeen { get; } = skeen;
    public int Joiner { get; } = joiner;
    public ulong JoinerLife { get; } = joinerLife;
    public long Position { get; } = position;
    public int Length { get; } = length;

    /// <summary>Bytes of the frame it arrived in, for the joiner's report.</summary>
    public long Bytes { get; set; }

    /// <summary>Pooled; <see cref="Release"/> returns it.</summary>
    public ulong[] Words { get; private set; } = words;

    public void Release()
    {
        if (Words.Length > 0) ArrayPool<ulong>.Shared.Return(Words);
        Words = [];
    }

    /// <summary>
    /// <c>joiner i32 | joinEpoch i64 | joinerLife u64 | donor i32 | clock i64 | lastDelivered (timestamp i64, sender i32, seq i64) |
    /// watermarks i32 | (sender i32, seq i64)* | pending i32 | (sender i32, seq i64)* |
    /// delivered i32 | (sender i32, seq i64, timestamp i64, epoch i64, groups u64)* | position i64 | length i32 | bulk words</c>
    /// </summary>
    public static void Enqueue(Connection c, SkeenTransfer t, int joiner, ulong joinerLife, long position, ReadOnlySpan<ulong> words, int length)
    {
        byte[] head = new byte[64 + t.Watermarks.Length * 12 + t.Pending.Length * 12 + t.Delivered.Length * 36 + 12];
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
        w.I32(length);
        BulkCodec.Enqueue(c, MessageType.State, head.AsSpan(0, w.Written), words[..Delta.WordsFor(length)]);
    }

    public static StateTransfer Read(in Frame frame, int maxFrameBytes)
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
        int length = r.Count("length", int.MaxValue - 64);
        if (joiner < 0 || donor < 0 || joinEpoch < 1 || clock < 0 || position < 0 || life == 0)
            throw new ProtocolException($"State transfer for node {joiner} at epoch {joinEpoch} from {donor} has a field out of range.");
        ulong[] words = BulkCodec.Read(ref r, Delta.WordsFor(length), maxFrameBytes);
        try
        {
            r.End();
            int count = Delta.WordsFor(length);
            if ((length & 63) != 0 && (words[count - 1] >> (length & 63)) != 0)
                throw new ProtocolException($"State transfer has bits set past its length {length}.");
        }
        catch
        {
            ArrayPool<ulong>.Shared.Return(words);
            throw;
        }
        var skeen = new SkeenTransfer(donor, joinEpoch, clock, last, watermarks.MoveToImmutable(), pending.MoveToImmutable(), delivered.MoveToImmutable());
        return new StateTransfer(skeen, joiner, life, position, length, words);
    }
}
