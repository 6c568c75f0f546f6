using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Batch frames on Skeen's manager ⇄ data node link: frames queued back to back leave as one frame within the frame
/// limit, arrive one by one in their order, and anything else queued closes the batch; a malformed batch, or a batch
/// on a link that does not batch, is a protocol error.
/// </summary>
public sealed class FrameBatchTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task FramesQueuedBackToBackLeaveAsOneBatchAndArriveOneByOneInOrder()
    {
        (Connection sender, Socket far) = Pair(Frame.DefaultMaxFrameBytes, batches: true);
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(1, 7), 70));
        AbcastWire.EnqueueDelivered(sender, new DeliveryReport(new MessageId(1, 6), DeliveryStatus.Applied, 12, 5));
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(1, 8), 71));
        sender.Enqueue(MessageType.NodeStatus, [1, 2, 3]);
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(1, 7), 72, 3, 0));
        sender.Flush();
        byte[] wire = await ReceiveAsync(far, 25 + 34 + 25 + 8 + 41 + 5);

        List<(MessageType Type, int Length)> outer = Split(wire);
        Assert.Equal(new[] { (MessageType.Batch, 1 + 25 + 34 + 25), (MessageType.NodeStatus, 4), (MessageType.AbcastFinal, 37) }, outer);
        Assert.Equal(3, FrameBatch.Check(wire.AsSpan(5, 84)));

        List<Frame> frames = await ReadBackAsync(wire, 5);
        Assert.Equal(new[] { MessageType.AbcastPropose, MessageType.AbcastDelivered, MessageType.AbcastPropose, MessageType.NodeStatus, MessageType.AbcastFinal },
            frames.Select(f => f.Type));
        Assert.Equal(new ProposalMessage(new MessageId(1, 7), 70), AbcastRunTests.OnlyProposal(frames[0]));
        Assert.Equal(new DeliveryReport(new MessageId(1, 6), DeliveryStatus.Applied, 12, 5), AbcastRunTests.OnlyDelivered(frames[1]));
        Assert.Equal(new ProposalMessage(new MessageId(1, 8), 71), AbcastRunTests.OnlyProposal(frames[2]));
        Assert.Equal(new byte[] { 1, 2, 3 }, frames[3].Payload.ToArray());
        Assert.Equal(new FinalMessage(new MessageId(1, 7), 72, 3, 0), AbcastRunTests.OnlyFinal(frames[4]));
    }

    [Fact]
    public async Task ABatchStaysWithinTheFrameLimitAndAFlushClosesIt()
    {
        // 64 bytes: two proposals (25 bytes each as frames) fit in a batch, a third does not. Each is for another
        // sender, so none joins the run before it.
        (Connection sender, Socket far) = Pair(64, batches: true);
        for (int seq = 1; seq <= 5; seq++) AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(seq, seq), 100 + seq));
        sender.Flush();
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(6, 6), 106));
        sender.Flush();
        byte[] wire = await ReceiveAsync(far, 2 * (5 + 50) + 2 * 25);

        Assert.Equal(new[] { (MessageType.Batch, 51), (MessageType.Batch, 51), (MessageType.AbcastPropose, 21), (MessageType.AbcastPropose, 21) }, Split(wire));
        List<Frame> frames = await ReadBackAsync(wire, 6, maxFrameBytes: 64);
        Assert.Equal(Enumerable.Range(1, 6).Select(seq => new ProposalMessage(new MessageId(seq, seq), 100 + seq)), frames.Select(AbcastRunTests.OnlyProposal));
    }

    [Fact]
    public async Task ALinkThatDoesNotBatchSendsPlainFramesAndRefusesABatch()
    {
        (Connection sender, Socket far) = Pair(Frame.DefaultMaxFrameBytes, batches: false);
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(1, 1), 1));
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(1, 2), 2));
        sender.Flush();
        byte[] wire = await ReceiveAsync(far, 50);
        Assert.Equal(new[] { (MessageType.AbcastPropose, 21), (MessageType.AbcastPropose, 21) }, Split(wire));

        byte[] batch = Batch(wire);
        ProtocolException e = await Assert.ThrowsAsync<ProtocolException>(() => ReadBackAsync(batch, 1, batches: false));
        Assert.Contains("does not batch", e.Message);
    }

    public static IEnumerable<object[]> Malformed()
    {
        byte[] propose = Framed(MessageType.AbcastPropose, new byte[20]);
        yield return ["one frame", propose, "at least two"];
        yield return ["empty", Array.Empty<byte>(), "at least two"];
        yield return ["a cut-off header", Join(propose, [3, 0, 0]), "cut off"];
        yield return ["a frame of length 0", Join(propose, [0, 0, 0, 0, (byte)MessageType.AbcastFinal]), "length 0"];
        yield return ["a frame past the batch", Join(propose, Framed(MessageType.AbcastFinal, new byte[36])[..^1]), "1..36"];
        yield return ["a client request", Join(propose, Framed(MessageType.Append, new byte[13])), "type 20"];
        yield return ["a marker", Join(propose, Framed(MessageType.AbcastMarker, new byte[12])), "type 79"];
        yield return ["a heartbeat", Join(propose, Framed(MessageType.Heartbeat, [])), "type 5"];
        yield return ["a batch", Join(propose, Framed(MessageType.Batch, Join(propose, propose))), "type 6"];
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task AMalformedBatchIsAProtocolError(string what, byte[] payload, string expected)
    {
        ProtocolException e = Assert.Throws<ProtocolException>(() => FrameBatch.Check(payload));
        Assert.Contains(expected, e.Message);
        // And off the wire: the connection refuses it before handing out any of its frames.
        e = await Assert.ThrowsAsync<ProtocolException>(() => ReadBackAsync(Framed(MessageType.Batch, payload), 1));
        Assert.True(e.Message.Contains(expected), $"{what}: {e.Message}");
    }

    [Fact]
    public void OnlyTheManagerDataNodeLinkBatchesAndNoRowAdmitsABatchFrame()
    {
        NodeRole[] roles = Enum.GetValues<NodeRole>();
        foreach (NodeRole reader in roles)
            foreach (NodeRole peer in roles)
            {
                bool skeenLink = (reader, peer) is (NodeRole.Manager, NodeRole.DataNode) or (NodeRole.DataNode, NodeRole.Manager);
                Assert.Equal(skeenLink, RoleTable.Batches(reader, peer));
                Assert.False(RoleTable.Allows(reader, peer, MessageType.Batch));
            }
        Assert.True(RoleTable.Allows(NodeRole.DataNode, NodeRole.Manager, MessageType.AbcastData));
    }

    /// <summary>A sending connection (opened as a link that batches or not) and the raw socket at its other end.</summary>
    private (Connection Sender, Socket Far) Pair(int maxFrameBytes, bool batches) => Pair(_owned, maxFrameBytes, batches);

    /// <summary>As <see cref="Pair(int, bool)"/>, the two ends added to <paramref name="owned"/>.</summary>
    internal static (Connection Sender, Socket Far) Pair(List<IDisposable> owned, int maxFrameBytes, bool batches)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dial = new Socket(SocketType.Stream, ProtocolType.Tcp);
        dial.Connect(listener.LocalEndPoint!);
        var sender = new Connection(dial, "sender", maxFrameBytes);
        sender.Open(batches);
        Socket far = listener.Accept();
        owned.Add(sender);
        owned.Add(far);
        return (sender, far);
    }

    internal static async Task<byte[]> ReceiveAsync(Socket socket, int bytes)
    {
        byte[] buffer = new byte[bytes];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int got = 0; got < bytes;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"the sender closed after {got} of {bytes} bytes");
            got += n;
        }
        return buffer;
    }

    /// <summary>Writes <paramref name="wire"/> from a raw socket into a receiving connection and reads <paramref name="count"/> frames (payloads copied).</summary>
    internal static async Task<List<Frame>> ReadBackAsync(byte[] wire, int count, int maxFrameBytes = Frame.DefaultMaxFrameBytes, bool batches = true)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var dial = new Socket(SocketType.Stream, ProtocolType.Tcp);
        dial.Connect(listener.LocalEndPoint!);
        using var receiver = new Connection(listener.Accept(), "receiver", maxFrameBytes);
        receiver.Open(batches);
        dial.Send(wire);
        var frames = new List<Frame>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (frames.Count < count)
            {
                Frame f = await receiver.ReadAsync(timeout.Token);
                Assert.False(f.IsEnd);
                frames.Add(new Frame(f.Type, f.Payload.ToArray()));
            }
        }
        finally
        {
            receiver.ReleaseReceiveBuffer();
        }
        return frames;
    }

    internal static List<(MessageType Type, int Length)> Split(ReadOnlySpan<byte> wire)
    {
        var frames = new List<(MessageType, int)>();
        for (int at = 0; at < wire.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(wire[at..]);
            frames.Add(((MessageType)wire[at + 4], length));
            at += 4 + length;
        }
        return frames;
    }

    internal static byte[] Framed(MessageType type, byte[] payload)
    {
        byte[] frame = new byte[Frame.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length + 1);
        frame[4] = (byte)type;
        payload.CopyTo(frame, Frame.HeaderSize);
        return frame;
    }

    private static byte[] Batch(byte[] frames) => Framed(MessageType.Batch, frames);

    private static byte[] Join(byte[] first, byte[] second) => [.. first, .. second];

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }
}
