using System.Buffers;
using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// A role's frames reach each connection in the order the role produced them, whether they went straight into the
/// connection's queue (small frames) or waited in the outbox's arena to be encoded after the lock (whole lists): a
/// small frame recorded after a list must not overtake it, or a backup would apply deltas to a snapshot it does not
/// have yet.
/// </summary>
public sealed class OutboxOrderTests : IDisposable
{
    private const int ListWords = 10_000, ChunkWords = 1_000;
    private readonly Connection _sender, _receiver;
    private readonly Lock _role = new();

    public OutboxOrderTests()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dial = new Socket(SocketType.Stream, ProtocolType.Tcp);
        dial.Connect(listener.LocalEndPoint!);
        _sender = new Connection(dial, "sender");
        _receiver = new Connection(listener.Accept(), "receiver");
    }

    [Fact]
    public async Task A_small_frame_recorded_after_a_chunked_list_follows_its_last_chunk()
    {
        var outbox = new Outbox();
        lock (_role)
        {
            outbox.Frame(_sender, MessageType.Attach, [1]);
            outbox.Chunked(_sender, MessageType.Snapshot, [2], Words(), ChunkWords);
            outbox.Frame(_sender, MessageType.Delta, [3]);
        }
        outbox.Drain();
        lock (_role) outbox.Frame(_sender, MessageType.Ack, [4]);
        outbox.Drain();
        Assert.Equal([MessageType.Attach, .. Enumerable.Repeat(MessageType.Snapshot, ListWords / ChunkWords), MessageType.Delta, MessageType.Ack],
            await Read(2 + ListWords / ChunkWords + 1));
    }

    [Fact]
    public async Task A_small_frame_recorded_after_a_streamed_list_follows_its_last_chunk()
    {
        var outbox = new Outbox();
        ulong[] words = ArrayPool<ulong>.Shared.Rent(ListWords);
        Words().CopyTo(words, 0);
        lock (_role)
        {
            outbox.Streamed(_sender, MessageType.Residual, [2], words, ListWords, ChunkWords);
            outbox.Frame(_sender, MessageType.Ok, [3]);
        }
        outbox.Drain();
        Assert.Equal([.. Enumerable.Repeat(MessageType.Residual, ListWords / ChunkWords), MessageType.Ok], await Read(ListWords / ChunkWords + 1));
    }

    /// <summary>A close runs the connection's Closed handlers, which take the role's lock again: never before the drain.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_close_recorded_under_the_lock_waits_for_the_drain(bool behindAList)
    {
        var outbox = new Outbox();
        bool closedUnderLock = false;
        _sender.Closed += _ => closedUnderLock = _role.IsHeldByCurrentThread;
        lock (_role)
        {
            if (behindAList) outbox.Chunked(_sender, MessageType.Snapshot, [2], Words(), ChunkWords);
            outbox.Close(_sender, "done");
            Assert.False(_sender.IsClosed);
        }
        outbox.Drain();
        Assert.True(_sender.IsClosed);
        Assert.False(closedUnderLock);
    }

    private static ulong[] Words()
    {
        var random = new Random(1);
        var words = new ulong[ListWords];
        for (int i = 0; i < words.Length; i++) words[i] = (ulong)random.NextInt64();
        return words;
    }

    private async Task<MessageType[]> Read(int count)
    {
        var types = new MessageType[count];
        for (int i = 0; i < count; i++) types[i] = (await _receiver.ReadAsync()).Type;
        return types;
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }
}
