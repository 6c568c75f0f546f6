using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Whole lists from an <see cref="Outbox"/> go out as their connection drains: lists 64 times the connection's
/// send-queue cap arrive whole over a socket without the slow-consumer disconnect (queued at once, the first list
/// overflowed the cap and closed the connection), and every frame the role produced after a list arrives after it.
/// </summary>
public sealed class OutboxPacingTests : IDisposable
{
    private const int MaxFrame = 4096;
    private const long MaxQueued = 16 << 10;
    private const int ListBits = 1 << 23;
    private readonly Connection _sender, _receiver;

    public OutboxPacingTests()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        // Small socket buffers, so the kernel cannot absorb a list and hide an overgrown send queue.
        listener.ReceiveBufferSize = 16 << 10;
        var dial = new Socket(SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 16 << 10 };
        dial.Connect(listener.LocalEndPoint!);
        _sender = new Connection(dial, "sender", MaxFrame, MaxQueued);
        _receiver = new Connection(listener.Accept(), "receiver", MaxFrame);
        _receiver.Open();
    }

    [Fact]
    public async Task ListsBeyondTheSendQueueCapArriveWholeAndAheadOfLaterFrames()
    {
        var outbox = new Outbox();
        ulong[] first = Words(1), second = Words(2);
        int chunkWords = ChunkCodec.ChunkWords(MaxFrame, BitsChunkWire.HeadBytes);
        Marker(outbox, 10);
        Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
        outbox.Chunked(_sender, MessageType.BitsChunk, head[..BitsChunkWire.WriteHead(head, 1, ListBits, 0)], first, chunkWords);
        Marker(outbox, 11);
        Streamed(outbox, 2, second, chunkWords);
        Marker(outbox, 12);
        outbox.Drain();

        Assert.Equal(10UL, await ReadMarkerAsync());
        Assert.Equal(first, await ReadListAsync(1));
        Assert.Equal(11UL, await ReadMarkerAsync());
        Assert.Equal(second, await ReadListAsync(2));
        Assert.Equal(12UL, await ReadMarkerAsync());
        Assert.False(_sender.IsClosed, $"the sender closed: {_sender.CloseReason}");
    }

    /// <summary>
    /// A frame recorded after an overtakable list (a cut's snapshot) goes between its chunks; a list recorded after
    /// that still waits for the first to end, and the frames after it wait behind it.
    /// </summary>
    [Fact]
    public async Task AFrameAfterAnOvertakableListGoesBetweenItsChunksAndTheNextListWaits()
    {
        var outbox = new Outbox();
        ulong[] first = Words(3), second = Words(4);
        int chunkWords = ChunkCodec.ChunkWords(MaxFrame, BitsChunkWire.HeadBytes);
        Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
        outbox.Chunked(_sender, MessageType.BitsChunk, head[..BitsChunkWire.WriteHead(head, 1, ListBits, 0)], first, chunkWords, overtakable: true);
        outbox.Drain();
        Marker(outbox, 20);
        Streamed(outbox, 2, second, chunkWords);
        Marker(outbox, 21);
        outbox.Drain();

        var order = new List<string>();
        InboundList? one = null, two = null;
        while (two is not { Complete: true } || order[^1] != "21")
        {
            Frame frame = await _receiver.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(frame.IsEnd, "the sender closed the connection");
            if (frame.Type == MessageType.Ok)
            {
                order.Add(BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span).ToString(System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }
            (ulong id, _, _) = BitsChunkWire.Read(frame, ListLimits.MaxCount, out ChunkCodec.Chunk chunk);
            if (id == 1) (one = InboundList.For(one, 1, chunk)).Accept(chunk);
            else (two = InboundList.For(two, 2, chunk)).Accept(chunk);
            order.Add(id == 1 ? (one!.Complete ? "1 done" : "1") : two!.Complete ? "2 done" : "2");
        }
        int marker = order.IndexOf("20"), firstDone = order.IndexOf("1 done"), secondStarts = order.IndexOf("2");
        Assert.True(order.IndexOf("1") < marker && marker < firstDone, $"the frame after the overtakable list came at {marker}, its chunks ended at {firstDone}");
        Assert.True(firstDone < secondStarts, "the next list began before the overtakable one ended");
        Assert.True(order.IndexOf("2 done") < order.IndexOf("21"), "a frame overtook the ordered list");
        Assert.Equal(first, one!.Words);
        Assert.Equal(second, two!.Words);
    }

    private static ulong[] Words(int seed)
    {
        var random = new Random(seed);
        var words = new ulong[ListBits / 64];
        for (int i = 0; i < words.Length; i++) words[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        return words;
    }

    private void Marker(Outbox outbox, ulong id)
    {
        Span<byte> reply = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(reply, id);
        outbox.Frame(_sender, MessageType.Ok, reply);
    }

    private void Streamed(Outbox outbox, ulong id, ulong[] words, int chunkWords)
    {
        ulong[] rented = ArrayPool<ulong>.Shared.Rent(words.Length);
        words.CopyTo(rented, 0);
        Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
        outbox.Streamed(_sender, MessageType.BitsChunk, head[..BitsChunkWire.WriteHead(head, id, ListBits, 0)], rented, words.Length, chunkWords);
    }

    private async Task<ulong> ReadMarkerAsync()
    {
        Frame frame = await _receiver.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(frame.IsEnd, "the sender closed the connection");
        Assert.Equal(MessageType.Ok, frame.Type);
        return BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span);
    }

    private async Task<ulong[]> ReadListAsync(ulong id)
    {
        InboundList? list = null;
        while (list is not { Complete: true })
        {
            Frame frame = await _receiver.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(frame.IsEnd, "the sender closed the connection");
            Assert.Equal(MessageType.BitsChunk, frame.Type);
            (ulong got, long length, _) = BitsChunkWire.Read(frame, ListLimits.MaxCount, out ChunkCodec.Chunk chunk);
            Assert.Equal((id, ListBits), (got, length));
            list = InboundList.For(list, id, chunk);
            list.Accept(chunk);
        }
        return list!.Words;
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _receiver.ReleaseReceiveBuffer();
    }
}
