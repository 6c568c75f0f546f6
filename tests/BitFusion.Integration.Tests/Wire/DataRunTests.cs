using System.Buffers.Binary;
using System.Net.Sockets;
using BitFusion.Core.Abcast;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Runs of Skeen's data messages: one sender's data queued back to back for a node grow the last data frame in place
/// (items of their own length: a write's words ride in its item), a run of one is byte for byte the single data
/// message, each run reads back as the messages it was made of, and a malformed run is refused whole before any of
/// its messages is handed out.
/// </summary>
public sealed class DataRunTests : IDisposable
{
    private const int Max = Frame.DefaultMaxFrameBytes;
    private readonly List<IDisposable> _owned = [];

    private static DataMessage<WriteOp> Data(int sender, long seq, WriteOp op) =>
        new(new MessageId(sender, seq), 10 * seq, 2, new GroupSet(1), seq - 1, op);

    private static WriteOp Bit(long index) => new() { Kind = ListOp.Set, Index = index, Bit = true };

    [Fact]
    public async Task DataForOneSenderQueuedBackToBackLeaveAsOneRunAndReadBackInOrder()
    {
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, Max, batches: true);
        ulong[] words = [0x0123456789abcdef, 0xfedcba9876543210, 7];
        WriteOp run = WriteOp.AppendMany(words, 130);
        AbcastWire.EnqueueData(sender, Data(3, 1, Bit(5)));
        AbcastWire.EnqueueData(sender, Data(3, 2, run));
        AbcastWire.EnqueueData(sender, Data(3, 3, Bit(6)));
        sender.Flush();
        int length = 1 + 4 + 3 * DataRun.ItemHeadBytes + 3 * 8;
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 4 + length);

        Assert.Equal(new[] { (MessageType.AbcastData, length) }, FrameBatchTests.Split(wire));
        List<Frame> frames = await FrameBatchTests.ReadBackAsync(wire, 1);
        List<DataMessage<WriteOp>> read = ReadAll(frames[0]);
        Assert.Equal(3, read.Count);
        Assert.Equal(Data(3, 1, Bit(5)), read[0]);
        Assert.Equal(new MessageId(3, 2), read[1].Id);
        Assert.Equal(130, read[1].Payload.Bits);
        Assert.Equal(words, read[1].Payload.RunWords.ToArray());
        Assert.NotSame(run.Words, read[1].Payload.Words);
        Assert.Equal(Data(3, 3, Bit(6)), read[2]);
        foreach (DataMessage<WriteOp> m in read) m.Payload.Release();
        run.Release();
    }

    [Fact]
    public async Task ARunOfOneIsTheSingleDataMessage()
    {
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, Max, batches: true);
        AbcastWire.EnqueueData(sender, Data(3, 4, Bit(9)));
        sender.Flush();
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 4 + 59);

        // The layout before runs: sender, seq, timestamp, epoch, groups, stableSeq, kind, index, bit, bits.
        byte[] single = new byte[4 + 1 + 58];
        BinaryPrimitives.WriteUInt32LittleEndian(single, 59);
        single[4] = (byte)MessageType.AbcastData;
        var w = new PayloadWriter(single.AsSpan(5));
        w.I32(3);
        w.I64(4);
        w.I64(40);
        w.I64(2);
        w.U64(1);
        w.I64(3);
        w.U8((byte)ListOp.Set);
        w.I64(9);
        w.Bool(true);
        w.I32(0);
        Assert.Equal(single, wire);
    }

    [Fact]
    public async Task AnotherSenderOrFrameStartsANewRunAndARunStaysWithinTheFrameLimit()
    {
        // 128 bytes: two one-bit data items make a 121-byte frame, a third would pass the limit.
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, 128, batches: true);
        for (int seq = 1; seq <= 3; seq++) AbcastWire.EnqueueData(sender, Data(1, seq, Bit(seq)));
        AbcastWire.EnqueueData(sender, Data(2, 1, Bit(0)));
        AbcastWire.EnqueueMarker(sender, new EpochMarker(2, 3));
        AbcastWire.EnqueueData(sender, Data(2, 2, Bit(0)));
        sender.Flush();
        int one = 1 + 4 + DataRun.ItemHeadBytes, two = one + DataRun.ItemHeadBytes;
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 4 + two + 4 + 1 + 2 * (4 + one) + 17 + 4 + one);

        // The full run, then a batch of the third item's new run and the other sender's (a batch too stays within the limit).
        Assert.Equal(new[] { (MessageType.AbcastData, two), (MessageType.Batch, 1 + 2 * (4 + one)), (MessageType.AbcastMarker, 13), (MessageType.AbcastData, one) },
            FrameBatchTests.Split(wire));
        List<Frame> frames = await FrameBatchTests.ReadBackAsync(wire, 5, maxFrameBytes: 128);
        Assert.Equal([new MessageId(1, 1), new MessageId(1, 2)], ReadAll(frames[0], 128).Select(m => m.Id));
        Assert.Equal([new MessageId(1, 3)], ReadAll(frames[1], 128).Select(m => m.Id));
        Assert.Equal([new MessageId(2, 1)], ReadAll(frames[2], 128).Select(m => m.Id));
        Assert.Equal([new MessageId(2, 2)], ReadAll(frames[4], 128).Select(m => m.Id));
    }

    /// <summary>An item of a data run: seq, timestamp, epoch, groups, stableSeq, then the write.</summary>
    private static byte[] Item(long seq, byte kind = 1, int bits = 0, int words = 0, long timestamp = 5, ulong groups = 1)
    {
        byte[] p = new byte[DataRun.ItemHeadBytes + 8 * words];
        var w = new PayloadWriter(p);
        w.I64(seq);
        w.I64(timestamp);
        w.I64(0);
        w.U64(groups);
        w.I64(0);
        w.U8(kind);
        w.I64(0);
        w.Bool(true);
        w.I32(bits);
        return p;
    }

    public static IEnumerable<object[]> Malformed()
    {
        byte[] sender = BitConverter.GetBytes(3);
        byte[] good = Item(1);
        yield return [Array.Empty<byte>(), "at least one item of 54 bytes or more; this one has 0 bytes"];
        yield return [sender, "this one has 4 bytes"];
        yield return [(byte[])[.. BitConverter.GetBytes(-1), .. good], "names sender -1"];
        // A truncated item: the second is cut off inside its fixed fields, or inside its words.
        yield return [(byte[])[.. sender, .. good, .. Item(2)[..30]], "Data item 2 of the run is cut off: 30 bytes left"];
        yield return [(byte[])[.. sender, .. good, .. Item(2, kind: 0, bits: 130, words: 3)[..^8]], "Data item 2 of the run: 3 words do not fit in the 16 bytes left"];
        // A length that overflows: bits beyond what a frame can carry, or negative.
        yield return [(byte[])[.. sender, .. good, .. Item(2, kind: 0, bits: int.MaxValue)], "Data item 2 of the run: Field bits = 2147483647 is outside"];
        yield return [(byte[])[.. sender, .. Item(1, kind: 0, bits: -64)], "Field bits = -64 is outside"];
        // Every item is checked, not just the first.
        yield return [(byte[])[.. sender, .. good, .. Item(0)], "Data item 2 of the run: Message id 3#0 is out of range"];
        yield return [(byte[])[.. sender, .. good, .. Item(2, timestamp: -1)], "Data item 2 of the run: Data 3#2 has a negative timestamp"];
        yield return [(byte[])[.. sender, .. good, .. Item(2, groups: 0)], "Data item 2 of the run: Data 3#2 is addressed to no group"];
        yield return [(byte[])[.. sender, .. good, .. Item(2, kind: 9)], "Data item 2 of the run: Unknown write kind 9"];
        yield return [(byte[])[.. sender, .. good, .. Item(2, kind: 2, bits: 64, words: 1)], "Only an append carries a run of bits"];
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void AMalformedRunIsRefusedWholeAndHandsOutNothing(byte[] payload, string expected)
    {
        var frame = new Frame(MessageType.AbcastData, payload);
        int handedOut = 0;
        ProtocolException e = Assert.Throws<ProtocolException>(() =>
        {
            foreach (DataMessage<WriteOp> m in AbcastWire.ReadData(frame, Max))
            {
                handedOut++;
                m.Payload.Release();
            }
        });
        Assert.Contains(expected, e.Message);
        Assert.Equal(0, handedOut);
    }

    private static List<DataMessage<WriteOp>> ReadAll(Frame frame, int maxFrameBytes = Max)
    {
        var all = new List<DataMessage<WriteOp>>();
        foreach (DataMessage<WriteOp> m in AbcastWire.ReadData(frame, maxFrameBytes)) all.Add(m);
        return all;
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }
}
