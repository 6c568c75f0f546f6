using BitFusion.Core.Abcast;
using static BitFusion.Core.Tests.Abcast.Msg;

namespace BitFusion.Core.Tests.Abcast;

public class SkeenSenderTests
{
    // Group 0: nodes 0 and 1; group 1: nodes 2 and 3.
    private static readonly SkeenView View0 = SkeenView.Initial([(0, 0), (1, 0), (2, 1), (3, 1)], [1, 2]);
    private static readonly GroupSet Both = GroupSet.Of(0, 1);

    private static (SkeenSender<string> Sender, SenderRecorder Out) NewSender()
    {
        var output = new SenderRecorder();
        var sender = new SkeenSender<string>(1, output);
        Assert.Equal(ViewOutcome.Installed, sender.InstallView(View0));
        output.Clear();
        return (sender, output);
    }

    private static void Propose(SkeenSender<string> s, int node, long seq, long ts) =>
        Assert.Equal(ReceiveOutcome.Accepted, s.OnProposal(node, new ProposalMessage(Id(1, seq), ts)));

    [Fact]
    public void A_multicast_goes_as_data_to_every_member_of_every_addressed_group()
    {
        var (s, o) = NewSender();
        MessageId id = s.Multicast(Both, "x");
        Assert.Equal(Id(1, 1), id);
        Assert.Equal([0, 1, 2, 3], o.Data.Select(d => d.Node));
        Assert.All(o.Data, d => Assert.Equal(new DataMessage<string>(id, 1, 0, Both, 0, "x"), d.Message));
        Assert.Equal(1, s.UnfinishedCount);
    }

    [Fact]
    public void The_final_timestamp_is_the_maximum_of_the_proposals_and_goes_to_every_destination()
    {
        var (s, o) = NewSender();
        s.Multicast(Both, "x");
        Propose(s, 0, 1, 3);
        Propose(s, 1, 1, 9);
        Propose(s, 2, 1, 5);
        Propose(s, 3, 1, 4);
        Assert.Equal([0, 1, 2, 3], o.Finals.Select(f => f.Node));
        Assert.All(o.Finals, f => Assert.Equal(9, f.Message.Timestamp));
        Assert.Equal([(Id(1, 1), 9L, "x")], o.Completions);
        Assert.Equal(0, s.UnfinishedCount);
    }

    [Fact]
    public void The_sender_waits_for_every_destination_not_a_majority()
    {
        var (s, o) = NewSender();
        s.Multicast(Both, "x");
        Propose(s, 0, 1, 3);
        Propose(s, 1, 1, 3);
        Propose(s, 2, 1, 3);
        Assert.Empty(o.Finals);
        Assert.Empty(o.Completions);
        Propose(s, 3, 1, 3);
        Assert.Equal(4, o.Finals.Count);
    }

    [Fact]
    public void The_sender_clock_catches_up_with_the_proposals_it_receives()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        Propose(s, 0, 1, 50);
        Assert.Equal(50, s.Clock);
        s.Multicast(GroupSet.Of(1), "b");
        Assert.Equal(51, o.Data[^1].Message.Timestamp);
    }

    [Fact]
    public void Many_multicasts_are_in_flight_at_once_and_finalise_in_any_order()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        s.Multicast(GroupSet.Of(0), "b");
        s.Multicast(GroupSet.Of(1), "c");
        Assert.Equal(3, s.UnfinishedCount);
        Propose(s, 2, 3, 7);
        Propose(s, 3, 3, 8);
        Propose(s, 1, 2, 4);
        Propose(s, 0, 2, 6);
        Propose(s, 0, 1, 2);
        Assert.Equal([(Id(1, 3), 8L), (Id(1, 2), 6L)], o.Completions.Select(c => (c.Id, c.Timestamp)));
        Propose(s, 1, 1, 3);
        Assert.Equal(Id(1, 1), o.Completions[^1].Id);
        Assert.Equal(0, s.UnfinishedCount);
    }

    [Fact]
    public void Duplicate_and_stray_proposals_change_nothing()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        s.Multicast(GroupSet.Of(1), "b");
        Propose(s, 0, 1, 4);
        Assert.Equal(ReceiveOutcome.Duplicate, s.OnProposal(0, new ProposalMessage(Id(1, 1), 99)));
        Assert.Equal(ReceiveOutcome.NotAddressed, s.OnProposal(2, new ProposalMessage(Id(1, 1), 99)));
        Assert.Equal(ReceiveOutcome.Invalid, s.OnProposal(1, new ProposalMessage(Id(1, 3), 99)));
        Assert.Equal(ReceiveOutcome.Invalid, s.OnProposal(1, new ProposalMessage(Id(2, 1), 99)));
        Assert.Equal(ReceiveOutcome.StaleSender, s.OnProposal(9, new ProposalMessage(Id(1, 1), 99)));
        Assert.Empty(o.Finals);
        Propose(s, 1, 1, 5);
        Assert.Equal(5, o.Completions.Single().Timestamp);
        Assert.Equal(ReceiveOutcome.Duplicate, s.OnProposal(1, new ProposalMessage(Id(1, 1), 5)));
        Assert.Equal(2, o.Finals.Count);
    }

    [Fact]
    public void A_destination_that_dies_before_proposing_stops_being_awaited_and_the_live_proposals_decide()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        Propose(s, 0, 1, 4);
        Assert.Empty(o.Finals);

        Assert.Equal(ViewOutcome.Installed, s.InstallView(View0.WithoutReceiver(1)));
        Assert.Equal([(0, Final(1, 1, 4, epoch: 1, stable: 0))], o.Finals);
        Assert.Equal([(Id(1, 1), 4L, "a")], o.Completions);
        Assert.Equal([0, 2, 3], o.Markers.Select(m => m.Node));
        Assert.All(o.Markers, m => Assert.Equal(new EpochMarker(1, 1), m.Marker));
    }

    [Fact]
    public void A_multicast_whose_destinations_all_died_is_abandoned()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(1), "c");
        SkeenView view = View0.WithoutReceiver(2).WithoutReceiver(3);
        s.InstallView(view);
        Assert.Equal([(Id(1, 1), "c")], o.Abandonments);
        Assert.Empty(o.Finals);
        Assert.Equal(0, s.UnfinishedCount);
        Assert.Equal(0, s.TrackedCount);
    }

    [Fact]
    public void A_joiner_receives_later_multicasts_but_is_not_awaited_for_earlier_ones()
    {
        var (s, o) = NewSender();
        SkeenView view1 = View0.WithoutReceiver(1);
        s.InstallView(view1);
        s.Multicast(GroupSet.Of(0), "a");
        SkeenView view2 = view1.WithJoiner(1, 0, donor: 0);
        s.InstallView(view2);
        s.Multicast(GroupSet.Of(0), "b");
        Assert.Equal([(0, 1L), (0, 2L), (1, 2L)], o.Data.Select(d => (d.Node, d.Message.Id.Seq)));
        Assert.Equal(2, o.Data[^1].Message.Epoch);
        Propose(s, 0, 1, 3);
        Assert.Equal(Id(1, 1), o.Completions.Single().Id);
    }

    [Fact]
    public void A_multicast_to_no_group_or_an_empty_group_throws_and_changes_nothing()
    {
        var (s, o) = NewSender();
        Assert.Throws<ArgumentException>(() => s.Multicast(default, "x"));
        var e = Assert.Throws<ArgumentException>(() => s.Multicast(GroupSet.Of(0, 5), "x"));
        Assert.Contains("Group 5 has no data node", e.Message);
        Assert.Empty(o.Data);
        Assert.Equal(0, s.UnfinishedCount);
        Assert.Equal(0, s.Clock);
        Assert.Equal(Id(1, 1), s.Multicast(GroupSet.Of(0), "x"));
    }

    [Fact]
    public void Resend_repeats_missed_finals_then_unproposed_data_in_order_then_the_marker()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        s.Multicast(GroupSet.Of(0), "b");
        s.Multicast(GroupSet.Of(0), "c");
        Propose(s, 0, 1, 2);
        Propose(s, 1, 1, 2);
        Propose(s, 1, 3, 4);
        o.Clear();

        s.Resend(0);
        Assert.Equal(["final 1#1 2 to 0", "data 1#2 to 0", "data 1#3 to 0", "marker 0 to 0"], o.Trace);
        o.Clear();
        s.Resend(1);
        // Node 1's proposal for #3 answered data sent before the final of #1, so it does not acknowledge that final.
        Assert.Equal(["final 1#1 2 to 1", "data 1#2 to 1", "marker 0 to 1"], o.Trace);
        o.Clear();
        s.Multicast(GroupSet.Of(0), "d");
        Propose(s, 1, 4, 9);
        o.Clear();
        s.Resend(1);
        Assert.Equal(["data 1#2 to 1", "marker 0 to 1"], o.Trace);
    }

    [Fact]
    public void Stable_seq_advances_once_every_destination_has_acknowledged_the_final_by_proposing_on_later_data()
    {
        var (s, o) = NewSender();
        s.Multicast(GroupSet.Of(0), "a");
        Propose(s, 0, 1, 2);
        Propose(s, 1, 1, 2);
        Assert.All(o.Finals, f => Assert.Equal(0, f.Message.StableSeq));
        s.Multicast(GroupSet.Of(0), "b");
        Assert.All(o.Data.Where(d => d.Message.Id.Seq == 2), d => Assert.Equal(0, d.Message.StableSeq));
        Propose(s, 0, 2, 3);
        Propose(s, 1, 2, 3);
        s.Multicast(GroupSet.Of(0), "c");
        Assert.All(o.Data.Where(d => d.Message.Id.Seq == 3), d => Assert.Equal(1, d.Message.StableSeq));
        Assert.Equal(2, s.TrackedCount);
        s.Multicast(GroupSet.Of(1), "d");
        Assert.All(o.Data.Where(d => d.Message.Id.Seq == 4), d => Assert.Equal(3, d.Message.StableSeq));
    }

    [Fact]
    public void A_sender_left_out_of_a_view_stops()
    {
        var (s, _) = NewSender();
        Assert.Equal(ViewOutcome.Excluded, s.InstallView(View0.WithoutSender(1)));
        Assert.True(s.IsExcluded);
        Assert.Throws<InvalidOperationException>(() => s.Multicast(GroupSet.Of(0), "x"));
        Assert.Equal(ReceiveOutcome.Stopped, s.OnProposal(0, new ProposalMessage(Id(1, 1), 1)));
    }

    [Fact]
    public void A_sender_needs_a_view_that_admits_it()
    {
        var s = new SkeenSender<string>(7, new SenderRecorder());
        Assert.Throws<InvalidOperationException>(() => s.Multicast(GroupSet.Of(0), "x"));
        Assert.Throws<ArgumentException>(() => s.InstallView(View0));
        Assert.Equal(ViewOutcome.Installed, s.InstallView(View0.WithSender(7)));
        Assert.Equal(ViewOutcome.Stale, s.InstallView(View0.WithSender(7)));
    }
}
