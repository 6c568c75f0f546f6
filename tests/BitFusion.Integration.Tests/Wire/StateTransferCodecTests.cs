using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BitFusion.Core.Abcast;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using K4os.Compression.LZ4;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// The chunked state transfer: a header and its chunks survive a trip over a socket under a frame limit far below the
/// list, LZ4 goes only where it pays, and a malformed chunk is a protocol error that completes nothing.
/// </summary>
public sealed class StateTransferCodecTests : IDisposable
{
    private const int MaxFrame = 4096;
    private readonly Connection _sender, _receiver;

    private static readonly SkeenTransfer Skeen = new(2, 7, 901, new OrderKey(880, new MessageId(1, 44)),
        [new SenderWatermark(1, 44), new SenderWatermark(3, 9)], [new MessageId(3, 10)],
        [new DeliveredFinal(new MessageId(1, 44), 880, 7, GroupSet.Of(0))]);

    public StateTransferCodecTests()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dial = new Socket(SocketType.Stream, ProtocolType.Tcp);
        dial.Connect(listener.LocalEndPoint!);
        _sender = new Connection(dial, "donor", MaxFrame, 64 << 20);
        _receiver = new Connection(listener.Accept(), "joiner", MaxFrame);
        _receiver.Open();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(100_003)]
    [InlineData(1_000_000)]
    public async Task AListManyFramesLongRoundTrips(int length)
    {
        ulong[] words = Words(length, zeroRuns: true);
        StateTransfer got = await TransferAsync(words, length);
        Assert.True(got.IsComplete);
        Assert.Equal((Skeen.Donor, Skeen.JoinEpoch, Skeen.Clock, Skeen.LastDelivered), (got.Skeen.Donor, got.Skeen.JoinEpoch, got.Skeen.Clock, got.Skeen.LastDelivered));
        Assert.Equal(Skeen.Watermarks.ToArray(), got.Skeen.Watermarks.ToArray());
        Assert.Equal(Skeen.Pending.ToArray(), got.Skeen.Pending.ToArray());
        Assert.Equal(Skeen.Delivered.ToArray(), got.Skeen.Delivered.ToArray());
        Assert.Equal((5, 0xABCDUL, 123L, length), (got.Joiner, got.JoinerLife, got.Position, got.Length));
        Assert.Equal(words, got.Words);
    }

    private static readonly int Cw = ChunkCodec.ChunkWords(MaxFrame, 0), Total = 3 * Cw;

    public static IEnumerable<object[]> BadChunks()
    {
        yield return ["out of order", Chunk(Total, Cw, Cw, (byte)ChunkCodecKind.Raw, new byte[Cw * 8])];
        yield return ["of another list", Chunk(Total + 1, 0, Cw, (byte)ChunkCodecKind.Raw, new byte[Cw * 8])];
        yield return ["fewer words than due", Chunk(Total, 0, Cw - 1, (byte)ChunkCodecKind.Raw, new byte[(Cw - 1) * 8])];
        yield return ["raw bytes short of its words", Chunk(Total, 0, Cw, (byte)ChunkCodecKind.Raw, new byte[Cw * 8 - 8])];
        yield return ["unknown codec", Chunk(Total, 0, Cw, 7, new byte[Cw * 8])];
        yield return ["corrupt LZ4", Chunk(Total, 0, Cw, (byte)ChunkCodecKind.Lz4, [0xFF, 0xFF, 0xFF, 0x01, 0x02])];
        byte[] small = new byte[LZ4Codec.MaximumOutputSize(64)];
        int n = LZ4Codec.Encode(new byte[64], small);
        yield return ["LZ4 of too few bytes", Chunk(Total, 0, Cw, (byte)ChunkCodecKind.Lz4, small[..n])];
        byte[] lying = Chunk(Total, 0, Cw, (byte)ChunkCodecKind.Raw, new byte[Cw * 8]);
        BitConverter.TryWriteBytes(lying.AsSpan(13, 4), Cw * 8 + 100);
        yield return ["byte count past the frame", lying];
        yield return ["truncated head", new byte[] { 0, 0, 0 }];
    }

    [Theory]
    [MemberData(nameof(BadChunks))]
    public async Task AMalformedChunkIsAProtocolErrorAndCompletesNothing(string what, byte[] chunk)
    {
        StateTransfer.EnqueueHeader(_sender, Skeen, 5, 0xABCD, 123, Total * 64, Cw);
        _sender.Enqueue(MessageType.StateChunk, chunk);
        _sender.Flush();
        StateTransfer t = StateTransfer.ReadHeader(await _receiver.ReadAsync(), MaxFrame, ListLimits.MaxCount);
        Frame bad = await _receiver.ReadAsync();
        var e = Assert.Throws<ProtocolException>(() => t.Accept(bad));
        Assert.False(string.IsNullOrEmpty(e.Message), what);
        Assert.Equal(0, t.Received);
        Assert.False(t.IsComplete);
    }

    [Fact]
    public async Task BitsPastTheLengthAreRefused()
    {
        int chunkWords = ChunkCodec.ChunkWords(MaxFrame, 0);
        StateTransfer.EnqueueHeader(_sender, Skeen, 5, 0xABCD, 123, 65, chunkWords);
        ulong[] words = [ulong.MaxValue, 0b110];
        _sender.Enqueue(MessageType.StateChunk, Chunk(2, 0, 2, (byte)ChunkCodecKind.Raw, MemoryMarshal.AsBytes(words.AsSpan()).ToArray()));
        _sender.Flush();
        StateTransfer t = StateTransfer.ReadHeader(await _receiver.ReadAsync(), MaxFrame, ListLimits.MaxCount);
        Frame chunk = await _receiver.ReadAsync();
        Assert.Throws<ProtocolException>(() => t.Accept(chunk));
        Assert.False(t.IsComplete);
    }

    [Fact]
    public async Task AChunkTooLargeForTheFrameLimitIsRefusedInTheHeader()
    {
        StateTransfer.EnqueueHeader(_sender, Skeen, 5, 0xABCD, 123, 1 << 20, ChunkCodec.ChunkWords(MaxFrame, 0) + 1);
        _sender.Flush();
        Frame header = await _receiver.ReadAsync();
        Assert.Throws<ProtocolException>(() => StateTransfer.ReadHeader(header, MaxFrame, ListLimits.MaxCount));
    }

    [Fact]
    public async Task ALengthPastTheJoinersLimitIsRefusedInTheHeaderBeforeItsWordsAreAllocated()
    {
        StateTransfer.EnqueueHeader(_sender, Skeen, 5, 0xABCD, 123, 10_000_000_000, ChunkCodec.ChunkWords(MaxFrame, 0));
        _sender.Flush();
        Frame header = await _receiver.ReadAsync();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ProtocolException>(() => StateTransfer.ReadHeader(header, MaxFrame, 1L << 32));
        Assert.Contains("length = 10000000000", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the refused header allocated its list");
    }

    private async Task<StateTransfer> TransferAsync(ulong[] words, int length)
    {
        int chunkWords = ChunkCodec.ChunkWords(MaxFrame, 0);
        byte[] scratch = new byte[ChunkCodec.ScratchBytes(0, chunkWords)];
        StateTransfer.EnqueueHeader(_sender, Skeen, 5, 0xABCD, 123, length, chunkWords);
        Task<StateTransfer> receive = Task.Run(async () =>
        {
            StateTransfer t = StateTransfer.ReadHeader(await _receiver.ReadAsync(), MaxFrame, ListLimits.MaxCount);
            while (!t.IsComplete) t.Accept(await _receiver.ReadAsync());
            return t;
        });
        var plan = new ChunkPlan(words.Length, chunkWords);
        for (int i = 0; i < plan.Count; i++)
        {
            (int first, int count) = plan[i];
            ChunkCodec.EnqueueOne(_sender, MessageType.StateChunk, default, words.Length, first, words.AsSpan(first, count), scratch);
        }
        _sender.Flush();
        return await receive.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static ulong[] Words(int length, bool zeroRuns)
    {
        ulong[] words = new ulong[(length + 63) / 64];
        new Random(length).NextBytes(MemoryMarshal.AsBytes(words.AsSpan()));
        // Runs of zeros in every other stretch, so some chunks compress and some do not.
        if (zeroRuns)
            for (int i = 0; i < words.Length; i += 2048) words.AsSpan(i, Math.Min(1024, words.Length - i)).Clear();
        if ((length & 63) != 0) words[^1] &= (1UL << (length & 63)) - 1;
        return words;
    }

    private static byte[] Chunk(int totalWords, int offset, int words, byte codec, byte[] payload)
    {
        byte[] frame = new byte[ChunkCodec.HeadBytes + payload.Length];
        BitConverter.TryWriteBytes(frame.AsSpan(0, 4), totalWords);
        BitConverter.TryWriteBytes(frame.AsSpan(4, 4), offset);
        BitConverter.TryWriteBytes(frame.AsSpan(8, 4), words);
        frame[12] = codec;
        BitConverter.TryWriteBytes(frame.AsSpan(13, 4), payload.Length);
        payload.CopyTo(frame, ChunkCodec.HeadBytes);
        return frame;
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _receiver.ReleaseReceiveBuffer();
    }
}
