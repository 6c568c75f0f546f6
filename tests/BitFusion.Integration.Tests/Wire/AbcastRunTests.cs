using System.Net.Sockets;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Runs of Skeen's proposals, finals and delivery reports: messages for one sender queued back to back on a link
/// that batches grow the last frame in place, within the frame limit; anything else starts a new run; each run reads
/// back as the messages it was made of, in order; a malformed run is refused whole with a clear error.
/// </summary>
public sealed class AbcastRunTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task MessagesForOneSenderQueuedBackToBackLeaveAsOneRunAndReadBackInOrder()
    {
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, Frame.DefaultMaxFrameBytes, batches: true);
        long messages = Connection.TotalFramesSent, batched = Connection.TotalFramesBatched;
        for (int seq = 1; seq <= 3; seq++) AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(4, seq), 10 * seq));
        for (int seq = 1; seq <= 2; seq++) AbcastWire.EnqueueDelivered(sender, new DeliveryReport(new MessageId(4, seq), DeliveryStatus.Applied, seq, seq - 1));
        sender.Flush();
        int proposals = 1 + 4 + 3 * 16, reports = 1 + 4 + 2 * 25;
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 5 + 4 + proposals + 4 + reports);

        Assert.Equal(new[] { (MessageType.Batch, 1 + 4 + proposals + 4 + reports) }, FrameBatchTests.Split(wire));
        List<Frame> frames = await FrameBatchTests.ReadBackAsync(wire, 2);
        Assert.Equal(new[] { MessageType.AbcastPropose, MessageType.AbcastDelivered }, frames.Select(f => f.Type));
        ProposalRun run = AbcastWire.ReadProposals(frames[0]);
        Assert.Equal(3, run.Count);
        for (int i = 0; i < 3; i++) Assert.Equal(new ProposalMessage(new MessageId(4, i + 1), 10 * (i + 1)), run[i]);
        DeliveredRun delivered = AbcastWire.ReadDelivered(frames[1]);
        Assert.Equal(2, delivered.Count);
        Assert.Equal(new DeliveryReport(new MessageId(4, 2), DeliveryStatus.Applied, 2, 1), delivered[1]);
        // Five messages, one frame on the wire (the other tests in this process count too, so at least that many).
        Assert.True(Connection.TotalFramesSent - messages >= 5);
        Assert.True(Connection.TotalFramesBatched - batched >= 4);
    }

    [Fact]
    public async Task AnotherSenderEpochOrFrameStartsANewRun()
    {
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, Frame.DefaultMaxFrameBytes, batches: true);
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(1, 1), 5, 2, 0));
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(1, 2), 6, 2, 1));
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(1, 3), 7, 3, 1));
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(2, 1), 8, 3, 0));
        AbcastWire.EnqueueMarker(sender, new EpochMarker(2, 3));
        AbcastWire.EnqueueFinal(sender, new FinalMessage(new MessageId(2, 2), 9, 3, 0));
        sender.Flush();
        int two = 1 + 12 + 2 * 24, one = 1 + 12 + 24;
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 5 + 4 + two + 2 * (4 + one) + 17 + 4 + one);

        Assert.Equal(new[] { (MessageType.Batch, 1 + 4 + two + 2 * (4 + one)), (MessageType.AbcastMarker, 13), (MessageType.AbcastFinal, one) },
            FrameBatchTests.Split(wire));
        List<Frame> frames = await FrameBatchTests.ReadBackAsync(wire, 5);
        FinalRun first = AbcastWire.ReadFinals(frames[0]);
        Assert.Equal(2, first.Count);
        Assert.Equal(new FinalMessage(new MessageId(1, 1), 5, 2, 0), first[0]);
        Assert.Equal(new FinalMessage(new MessageId(1, 2), 6, 2, 1), first[1]);
        Assert.Equal(new FinalMessage(new MessageId(1, 3), 7, 3, 1), OnlyFinal(frames[1]));
        Assert.Equal(new FinalMessage(new MessageId(2, 1), 8, 3, 0), OnlyFinal(frames[2]));
        Assert.Equal(new FinalMessage(new MessageId(2, 2), 9, 3, 0), OnlyFinal(frames[4]));
    }

    [Fact]
    public async Task ARunStaysWithinTheFrameLimit()
    {
        // 64 bytes: a run of three proposals is a 53-byte frame, a fourth would make it 69.
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, 64, batches: true);
        for (int seq = 1; seq <= 5; seq++) AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(0, seq), seq));
        sender.Flush();
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 4 + 53 + 4 + 37);

        Assert.Equal(new[] { (MessageType.AbcastPropose, 53), (MessageType.AbcastPropose, 37) }, FrameBatchTests.Split(wire));
        List<Frame> frames = await FrameBatchTests.ReadBackAsync(wire, 2, maxFrameBytes: 64);
        Assert.Equal(3, AbcastWire.ReadProposals(frames[0]).Count);
        Assert.Equal(new ProposalMessage(new MessageId(0, 5), 5), AbcastWire.ReadProposals(frames[1])[1]);
    }

    [Fact]
    public async Task ALinkThatDoesNotBatchSendsRunsOfOne()
    {
        (Connection sender, Socket far) = FrameBatchTests.Pair(_owned, Frame.DefaultMaxFrameBytes, batches: false);
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(0, 1), 1));
        AbcastWire.EnqueuePropose(sender, new ProposalMessage(new MessageId(0, 2), 2));
        sender.Flush();
        byte[] wire = await FrameBatchTests.ReceiveAsync(far, 50);
        Assert.Equal(new[] { (MessageType.AbcastPropose, 21), (MessageType.AbcastPropose, 21) }, FrameBatchTests.Split(wire));
    }

    public static IEnumerable<object[]> Malformed()
    {
        byte[] sender = BitConverter.GetBytes(3), epoch = BitConverter.GetBytes(1L);
        byte[] proposal = [.. BitConverter.GetBytes(1L), .. BitConverter.GetBytes(5L)];
        byte[] final = [.. proposal, .. BitConverter.GetBytes(0L)];
        byte[] report = [.. BitConverter.GetBytes(1L), 0, .. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(0L)];
        yield return [(byte)MessageType.AbcastPropose, Array.Empty<byte>(), "at least one; this one has 0 bytes"];
        yield return [(byte)MessageType.AbcastPropose, sender, "at least one; this one has 4 bytes"];
        yield return [(byte)MessageType.AbcastPropose, (byte[])[.. sender, .. proposal, 1], "whole 16-byte items"];
        yield return [(byte)MessageType.AbcastPropose, (byte[])[.. BitConverter.GetBytes(-1), .. proposal], "names sender -1"];
        yield return [(byte)MessageType.AbcastPropose, (byte[])[.. sender, .. proposal, .. BitConverter.GetBytes(0L), .. BitConverter.GetBytes(5L)], "out of range"];
        yield return [(byte)MessageType.AbcastPropose, (byte[])[.. sender, .. proposal, .. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(-5L)], "Proposal 2 of the run"];
        yield return [(byte)MessageType.AbcastFinal, (byte[])[.. sender, .. epoch], "at least one"];
        yield return [(byte)MessageType.AbcastFinal, (byte[])[.. sender, .. BitConverter.GetBytes(-1L), .. final], "negative epoch -1"];
        yield return [(byte)MessageType.AbcastFinal, (byte[])[.. sender, .. epoch, .. final, .. final[..23]], "whole 24-byte items"];
        yield return [(byte)MessageType.AbcastFinal, (byte[])[.. sender, .. epoch, .. final, .. BitConverter.GetBytes(2L), .. BitConverter.GetBytes(-1L), .. BitConverter.GetBytes(0L)], "Final 2 of the run"];
        yield return [(byte)MessageType.AbcastDelivered, (byte[])[.. sender, .. report[..24]], "whole 25-byte items"];
        yield return [(byte)MessageType.AbcastDelivered, (byte[])[.. sender, .. report, .. report[..8], 3, .. report[9..]], "unknown status 3"];
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void AMalformedRunIsRefusedWhole(byte type, byte[] payload, string expected)
    {
        var frame = new Frame((MessageType)type, payload);
        ProtocolException e = Assert.Throws<ProtocolException>(() => Read(frame));
        Assert.Contains(expected, e.Message);
    }

    private static int Read(Frame frame) => frame.Type switch
    {
        MessageType.AbcastPropose => AbcastWire.ReadProposals(frame).Count,
        MessageType.AbcastFinal => AbcastWire.ReadFinals(frame).Count,
        _ => AbcastWire.ReadDelivered(frame).Count,
    };

    internal static ProposalMessage OnlyProposal(Frame frame)
    {
        ProposalRun run = AbcastWire.ReadProposals(frame);
        Assert.Equal(1, run.Count);
        return run[0];
    }

    internal static FinalMessage OnlyFinal(Frame frame)
    {
        FinalRun run = AbcastWire.ReadFinals(frame);
        Assert.Equal(1, run.Count);
        return run[0];
    }

    internal static DeliveryReport OnlyDelivered(Frame frame)
    {
        DeliveredRun run = AbcastWire.ReadDelivered(frame);
        Assert.Equal(1, run.Count);
        return run[0];
    }

    public void Dispose()
    {
        foreach (IDisposable d in _owned) d.Dispose();
    }
}
