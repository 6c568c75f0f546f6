using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

/// <summary>The per-message path — multicast, data, proposal, final, delivery — allocates nothing once warm.</summary>
public class AllocationTests
{
    private sealed class Wires : ISkeenSenderOutput<int>, ISkeenReceiverOutput<int>
    {
        public readonly (int Node, DataMessage<int> Message)[] Data = new (int, DataMessage<int>)[8];
        public readonly (int Node, FinalMessage Message)[] Finals = new (int, FinalMessage)[8];
        public readonly ProposalMessage[] Proposals = new ProposalMessage[8];
        public int DataCount, FinalCount, ProposalCount;
        public long Delivered, Completions;

        public void SendData(int node, in DataMessage<int> message) => Data[DataCount++] = (node, message);
        public void SendFinal(int node, in FinalMessage message) => Finals[FinalCount++] = (node, message);
        public void SendMarker(int node, in EpochMarker marker) { }
        public void Completed(MessageId id, long timestamp, int payload) => Completions++;
        public void Abandoned(MessageId id, int payload) => throw new InvalidOperationException();
        public void Propose(int sender, in ProposalMessage proposal) => Proposals[ProposalCount++] = proposal;
        public void Deliver(MessageId id, long timestamp, int payload) => Delivered++;
        public void Discard(MessageId id, int payload, DiscardReason reason) => throw new InvalidOperationException();
        public void TransferReady(int joiner, SkeenTransfer transfer) => throw new InvalidOperationException();
    }

    [Fact]
    public void A_warm_multicast_round_trip_allocates_nothing()
    {
        SkeenView view = SkeenView.Initial([(0, 0), (1, 0), (2, 0)], [1]);
        var wires = new Wires();
        var sender = new SkeenSender<int>(1, wires);
        var receivers = new[] { new SkeenReceiver<int>(0, 0, wires), new SkeenReceiver<int>(1, 0, wires), new SkeenReceiver<int>(2, 0, wires) };
        sender.InstallView(view);
        foreach (SkeenReceiver<int> r in receivers) r.InstallView(view);

        void RoundTrips(int count)
        {
            for (int i = 0; i < count; i++)
            {
                wires.DataCount = wires.FinalCount = 0;
                sender.Multicast(GroupSet.Of(0), i);
                for (int d = 0; d < wires.DataCount; d++)
                {
                    wires.ProposalCount = 0;
                    receivers[wires.Data[d].Node].OnData(wires.Data[d].Message);
                    sender.OnProposal(wires.Data[d].Node, wires.Proposals[0]);
                }
                for (int f = 0; f < wires.FinalCount; f++) receivers[wires.Finals[f].Node].OnFinal(wires.Finals[f].Message);
            }
        }

        RoundTrips(5_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        RoundTrips(20_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(25_000 * 3, wires.Delivered);
        Assert.Equal(25_000, wires.Completions);
        Assert.True(sender.TrackedCount < 4, $"{sender.TrackedCount} multicasts still tracked");
        Assert.Equal(0, allocated);
    }
}
