using BitFusion.Core.Abcast;
using static BitFusion.Core.Tests.Abcast.Msg;

namespace BitFusion.Core.Tests.Abcast;

/// <summary>Whole multicasts between real senders and receivers, with the interleavings chosen by hand.</summary>
public class OrderingTests
{
    // Group 0 is node 0, group 1 is node 1; senders 1 and 2.
    private static readonly SkeenView View = SkeenView.Initial([(0, 0), (1, 1)], [1, 2]);

    private sealed class Party
    {
        public Party()
        {
            foreach (int s in new[] { 1, 2 })
            {
                SenderOut[s] = new SenderRecorder();
                Senders[s] = new SkeenSender<string>(s, SenderOut[s]);
                Senders[s].InstallView(View);
            }
            foreach (int n in new[] { 0, 1 })
            {
                ReceiverOut[n] = new ReceiverRecorder();
                Receivers[n] = new SkeenReceiver<string>(n, 0, ReceiverOut[n]);
                Receivers[n].InstallView(View);
            }
        }

        public Dictionary<int, SkeenSender<string>> Senders { get; } = new();
        public Dictionary<int, SenderRecorder> SenderOut { get; } = new();
        public Dictionary<int, SkeenReceiver<string>> Receivers { get; } = new();
        public Dictionary<int, ReceiverRecorder> ReceiverOut { get; } = new();

        public void Data(int sender, long seq, int node) =>
            Receivers[node].OnData(SenderOut[sender].Data.Single(d => d.Node == node && d.Message.Id.Seq == seq).Message);

        public void Proposal(int node, int sender, long seq) =>
            Senders[sender].OnProposal(node, ReceiverOut[node].Proposals.Single(p => p.Proposal.Id == Id(sender, seq)).Proposal);

        public void Final(int sender, long seq, int node) =>
            Receivers[node].OnFinal(SenderOut[sender].Finals.Single(f => f.Node == node && f.Message.Id.Seq == seq).Message);
    }

    [Fact]
    public void Crossing_multicasts_to_two_groups_are_delivered_in_one_order_in_both()
    {
        var p = new Party();
        p.Senders[1].Multicast(GroupSet.Of(0, 1), "a");
        p.Senders[2].Multicast(GroupSet.Of(0, 1), "b");
        // Node 0 sees a then b; node 1 sees b then a: each proposes its first arrival lower.
        p.Data(1, 1, 0);
        p.Data(2, 1, 0);
        p.Data(2, 1, 1);
        p.Data(1, 1, 1);
        Assert.True(p.ReceiverOut[0].ProposalFor(Id(1, 1)) < p.ReceiverOut[0].ProposalFor(Id(2, 1)));
        Assert.True(p.ReceiverOut[1].ProposalFor(Id(2, 1)) < p.ReceiverOut[1].ProposalFor(Id(1, 1)));
        foreach ((int node, int sender) in new[] { (1, 2), (0, 1), (0, 2), (1, 1) }) p.Proposal(node, sender, 1);
        p.Final(2, 1, 0);
        p.Final(1, 1, 1);
        p.Final(1, 1, 0);
        p.Final(2, 1, 1);

        Assert.Equal(p.ReceiverOut[0].Delivered, p.ReceiverOut[1].Delivered);
        Assert.Equal(2, p.ReceiverOut[0].Delivered.Count);
        // Both finals are 3 here: the tie goes to the lower sender id.
        Assert.Equal([(Id(1, 1), 3L), (Id(2, 1), 3L)], p.ReceiverOut[0].Delivered.Select(d => (d.Id, d.Timestamp)));
    }

    [Fact]
    public void A_single_group_multicast_interleaves_consistently_with_a_multi_group_one()
    {
        var p = new Party();
        p.Senders[1].Multicast(GroupSet.Of(0, 1), "ab");
        p.Senders[2].Multicast(GroupSet.Of(1), "b");
        p.Data(2, 1, 1);
        p.Data(1, 1, 0);
        p.Data(1, 1, 1);
        p.Proposal(1, 2, 1);
        p.Final(2, 1, 1);
        Assert.Equal([Id(2, 1)], p.ReceiverOut[1].DeliveredIds);
        p.Proposal(0, 1, 1);
        p.Proposal(1, 1, 1);
        p.Final(1, 1, 0);
        p.Final(1, 1, 1);
        Assert.Equal([Id(2, 1), Id(1, 1)], p.ReceiverOut[1].DeliveredIds);
        Assert.Equal([Id(1, 1)], p.ReceiverOut[0].DeliveredIds);
        Assert.True(p.ReceiverOut[1].Delivered[0].Timestamp < p.ReceiverOut[1].Delivered[1].Timestamp);
    }

    [Fact]
    public void The_classic_bug_delivers_a_final_message_ahead_of_a_smaller_tentative_one_where_skeen_waits()
    {
        var correctOut = new ReceiverRecorder();
        var buggyOut = new ReceiverRecorder();
        var correct = new SkeenReceiver<string>(0, 0, correctOut);
        var buggy = new SkeenReceiver<string>(0, 0, buggyOut, DeliveryRule.SmallestFinalIgnoringTentative);
        foreach (SkeenReceiver<string> r in new[] { correct, buggy })
        {
            r.InstallView(View);
            r.OnData(Data(1, 1, ts: 0));
            r.OnData(Data(2, 1, ts: 0));
            r.OnFinal(Final(2, 1, 2));
            r.OnFinal(Final(1, 1, 1));
        }
        Assert.Equal([Id(1, 1), Id(2, 1)], correctOut.DeliveredIds);
        Assert.Equal([Id(2, 1), Id(1, 1)], buggyOut.DeliveredIds);
    }
}
