using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Bit counts and positions are i64 on the wire (protocol version 4), so a list past 2^31 bits travels; a length past
/// the receiver's limit is a protocol error that names the field, before anything the length would size is allocated.
/// No test here allocates a long list: the frames carry a few words of one.
/// </summary>
public sealed class LongLengthWireTests
{
    private const long TenBillion = 10_000_000_000;
    private static readonly int TenBillionWords = Delta.WordsFor(TenBillion);

    [Fact]
    public void A_delta_of_a_list_past_two_to_the_31_round_trips()
    {
        ulong[] words = [0xF0F0, 0x0F0F];
        byte[] b = new byte[DeltaWire.HeadBytes + 16];
        DeltaWire.WriteHead(b, 3, 2, new Delta(TenBillion, TenBillionWords - 2, words, TenBillionWords - 5, 7));
        words.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(b.AsSpan(DeltaWire.HeadBytes)));
        var r = new PayloadReader(b);
        Delta got = DeltaWire.Read(ref r, ListLimits.MaxCount, out long seq, out long watermark);
        r.End();
        Assert.Equal((3L, 2L, TenBillion, TenBillionWords - 2, TenBillionWords - 5, 7UL), (seq, watermark, got.NewLength, got.FirstWord, got.ExtraWord, got.ExtraXor));
        Assert.Equal(words, got.Words.ToArray());
    }

    [Fact]
    public void Attach_and_a_snapshots_last_chunk_carry_a_length_past_two_to_the_31()
    {
        byte[] attach = new byte[FusionWire.AttachBytes];
        FusionWire.WriteAttach(attach, 5, 6, TenBillion + 1, recovering: false);
        Assert.Equal((5L, 6L, TenBillion + 1, false), FusionWire.ReadAttach(new Frame(MessageType.Attach, attach), ListLimits.MaxCount));

        // Only the last chunk of the snapshot: its head names the whole list, its words are the list's last two.
        ulong[] tail = [ulong.MaxValue, 0xFF];
        long length = 64L * (TenBillionWords - 1) + 8;
        byte[] b = new byte[FusionWire.SnapshotHeadBytes + ChunkCodec.MaxEncodedBytes(tail.Length)];
        int head = FusionWire.WriteSnapshotHead(b, 9, 1, 1, length, 0, 0);
        int bytes = head + ChunkCodec.Encode(TenBillionWords, TenBillionWords - 2, tail, b.AsSpan(head));
        FusionWire.SnapshotHead s = FusionWire.ReadSnapshot(new Frame(MessageType.Snapshot, b.AsMemory(0, bytes)), ListLimits.MaxCount, out ChunkCodec.Chunk chunk);
        Assert.Equal(length, s.Length);
        Assert.Equal((TenBillionWords, TenBillionWords - 2, 2), (chunk.TotalWords, chunk.Offset, chunk.Words));
    }

    [Fact]
    public void A_residual_head_carries_lengths_past_two_to_the_31()
    {
        ulong[] words = [1, 2];
        byte[] b = new byte[FusionWire.ResidualHeadBytes(2) + ChunkCodec.MaxEncodedBytes(words.Length)];
        int head = FusionWire.WriteResidualHead(b, 8, 1, [10, 11], [TenBillion, 3L << 31]);
        int bytes = head + ChunkCodec.Encode(TenBillionWords, 0, words, b.AsSpan(head));
        FusionWire.ResidualHead got = FusionWire.ReadResidual(new Frame(MessageType.Residual, b.AsMemory(0, bytes)), 3, ListLimits.MaxCount, out _);
        Assert.Equal([TenBillion, 3L << 31], got.Lengths);
    }

    [Fact]
    public void A_length_past_the_receivers_limit_is_a_protocol_error_naming_the_field()
    {
        byte[] delta = new byte[DeltaWire.HeadBytes];
        DeltaWire.WriteHead(delta, 1, 0, new Delta(TenBillion, 0, default));
        var e = Assert.Throws<ProtocolException>(() =>
        {
            var r = new PayloadReader(delta);
            DeltaWire.Read(ref r, 1 << 20, out _, out _);
        });
        Assert.Contains($"newLength = {TenBillion}", e.Message);

        byte[] attach = new byte[FusionWire.AttachBytes];
        FusionWire.WriteAttach(attach, 1, 1, ListLimits.MaxCount + 1, recovering: false);
        Assert.Contains("length", Assert.Throws<ProtocolException>(() => FusionWire.ReadAttach(new Frame(MessageType.Attach, attach), ListLimits.MaxCount)).Message);

        // A negative i64 (what an i32 length read as i64 by a newer peer, or a flipped top bit, looks like) is refused too.
        byte[] head = new byte[BitsChunkWire.HeadBytes + ChunkCodec.HeadBytes];
        BitsChunkWire.WriteHead(head, 1, -1, 0);
        Assert.Contains("length", Assert.Throws<ProtocolException>(() => BitsChunkWire.Read(new Frame(MessageType.BitsChunk, head), ListLimits.MaxCount, out _)).Message);
    }

    [Fact]
    public void Word_indices_past_a_list_of_the_largest_length_are_refused()
    {
        byte[] b = new byte[DeltaWire.HeadBytes];
        DeltaWire.WriteHead(b, 1, 0, new Delta(64, 0, default, ListLimits.MaxWords, 1));
        Assert.Throws<ProtocolException>(() =>
        {
            var r = new PayloadReader(b);
            DeltaWire.Read(ref r, ListLimits.MaxCount, out _, out _);
        });
    }
}
