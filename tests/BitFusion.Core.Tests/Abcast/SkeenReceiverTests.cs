using BitFusion.Core.Abcast;
using static BitFusion.Core.Tests.Abcast.Msg;

namespace BitFusion.Core.Tests.Abcast;

public class SkeenReceiverTests
{
    private static readonly SkeenView View0 = SkeenView.Initial([(0, 0), (1, 0), (2, 1)], [1, 2, 3]);

    private static (SkeenReceiver<string> Receiver, ReceiverRecorder Out) NewReceiver(int node = 0)
    {
        var output = new ReceiverRecorder();
        var receiver = new SkeenReceiver<string>(node, 0, output);
        Assert.Equal(ViewOutcome.Installed, receiver.InstallView(View0));
        return (receiver, output);
    }

    [Fact]
    public void A_deposed_coordinators_view_is_replaced_keeping_the_state_when_the_successors_view_removes_only_more()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        SkeenView deposed = View0.WithoutReceiver(1);
        Assert.Equal(ViewOutcome.Installed, r.InstallView(deposed));
        SkeenView successor = new(deposed.Epoch, deposed.Receivers.ToArray(), [2, 3]);

        Assert.Equal(ViewOutcome.Stale, r.InstallView(successor));
        Assert.Equal(ViewOutcome.Installed, r.ReplaceView(successor));
        Assert.Same(successor, r.View);
        Assert.Equal(ReceiveOutcome.StaleSender, r.OnData(Data(1, 2, ts: 0)));
        Assert.Equal(1, r.PendingCount);
        Assert.False(r.IsStopped);
        Assert.Empty(o.Delivered);
    }

    [Fact]
    public void A_successors_view_that_keeps_what_the_deposed_view_removed_stops_the_replica()
    {
        var (keepsReceiver, _) = NewReceiver();
        SkeenView deposed = View0.WithoutReceiver(1);
        keepsReceiver.InstallView(deposed);
        Assert.Equal(ViewOutcome.Superseded, keepsReceiver.ReplaceView(new SkeenView(deposed.Epoch, View0.Receivers.ToArray(), [1, 2, 3])));
        Assert.True(keepsReceiver.IsStopped);

        var (keepsSender, _) = NewReceiver();
        SkeenView withoutSender = View0.WithoutSender(3);
        keepsSender.InstallView(withoutSender);
        Assert.Equal(ViewOutcome.Superseded, keepsSender.ReplaceView(new SkeenView(withoutSender.Epoch, View0.Receivers.ToArray(), [1, 2, 3])));

        var (joinerOfAnotherDonor, _) = NewReceiver();
        SkeenView joining = new(2, [new ViewMember(0, 0, 0), new ViewMember(3, 0, 0), new ViewMember(1, 0, 2, Donor: 0), new ViewMember(2, 1, 0)], [1, 2, 3]);
        Assert.Equal(ViewOutcome.Installed, joinerOfAnotherDonor.InstallView(joining));
        SkeenView otherDonor = new(2, [new ViewMember(0, 0, 0), new ViewMember(3, 0, 0), new ViewMember(1, 0, 2, Donor: 3), new ViewMember(2, 1, 0)], [1, 2, 3]);
        Assert.Equal(ViewOutcome.Superseded, joinerOfAnotherDonor.ReplaceView(otherDonor));

        var (excluded, _) = NewReceiver();
        excluded.InstallView(View0.WithoutSender(3));
        Assert.Equal(ViewOutcome.Excluded, excluded.ReplaceView(new SkeenView(1, [new ViewMember(1, 0, 0), new ViewMember(2, 1, 0)], [1, 2])));
        Assert.Throws<ArgumentException>(() => NewReceiver().Receiver.ReplaceView(View0.WithoutSender(3)));
    }

    [Fact]
    public void Data_moves_the_clock_to_max_of_clock_and_timestamp_plus_one_and_proposes_it_to_the_sender()
    {
        var (r, o) = NewReceiver();
        Assert.Equal(ReceiveOutcome.Accepted, r.OnData(Data(1, 1, ts: 5)));
        Assert.Equal(ReceiveOutcome.Accepted, r.OnData(Data(2, 1, ts: 2)));
        Assert.Equal(ReceiveOutcome.Accepted, r.OnData(Data(3, 1, ts: 20)));
        Assert.Equal([(1, new ProposalMessage(Id(1, 1), 6)), (2, new ProposalMessage(Id(2, 1), 7)), (3, new ProposalMessage(Id(3, 1), 21))], o.Proposals);
        Assert.Equal(21, r.Clock);
        Assert.Equal(3, r.PendingCount);
        Assert.Empty(o.Delivered);
    }

    [Fact]
    public void A_final_moves_the_clock_past_it_so_after_delivering_final_10_the_next_proposal_is_at_least_11()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 1));
        Assert.Equal(2, o.ProposalFor(Id(1, 1)));
        Assert.Equal(ReceiveOutcome.Accepted, r.OnFinal(Final(1, 1, 10)));
        Assert.Equal([(Id(1, 1), 10L, "1#1")], o.Delivered);
        Assert.True(r.Clock >= 10);
        r.OnData(Data(2, 1, ts: 0));
        Assert.True(o.ProposalFor(Id(2, 1)) >= 11, $"proposal {o.ProposalFor(Id(2, 1))}");
    }

    [Fact]
    public void A_final_message_waits_while_a_tentative_message_with_a_smaller_key_is_pending()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        r.OnData(Data(2, 1, ts: 0));
        Assert.Equal(1, o.ProposalFor(Id(1, 1)));
        Assert.Equal(2, o.ProposalFor(Id(2, 1)));

        r.OnFinal(Final(2, 1, 2));
        Assert.Empty(o.Delivered);

        r.OnFinal(Final(1, 1, 3));
        Assert.Equal([Id(2, 1), Id(1, 1)], o.DeliveredIds);
        Assert.Equal(0, r.PendingCount);
    }

    [Fact]
    public void A_tentative_message_with_a_larger_key_does_not_hold_back_a_final_one()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        r.OnData(Data(2, 1, ts: 0));
        r.OnFinal(Final(1, 1, 1));
        Assert.Equal([Id(1, 1)], o.DeliveredIds);
        Assert.Equal(1, r.PendingCount);
    }

    [Fact]
    public void Finalising_repositions_a_message_at_its_final_key()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        r.OnData(Data(2, 1, ts: 0));
        r.OnData(Data(3, 1, ts: 0));

        r.OnFinal(Final(1, 1, 6));
        r.OnFinal(Final(2, 1, 7));
        Assert.Empty(o.Delivered);

        r.OnFinal(Final(3, 1, 5));
        Assert.Equal([(Id(3, 1), 5L), (Id(1, 1), 6L), (Id(2, 1), 7L)], o.Delivered.Select(d => (d.Id, d.Timestamp)));
    }

    [Fact]
    public void Equal_final_timestamps_are_delivered_by_sender_then_sequence_whatever_the_arrival_order()
    {
        var (a, oa) = NewReceiver(0);
        var (b, ob) = NewReceiver(1);
        a.OnData(Data(2, 1, ts: 0));
        a.OnData(Data(1, 1, ts: 0));
        a.OnData(Data(1, 2, ts: 0));
        b.OnData(Data(1, 1, ts: 0));
        b.OnData(Data(1, 2, ts: 0));
        b.OnData(Data(2, 1, ts: 0));

        a.OnFinal(Final(1, 2, 9));
        a.OnFinal(Final(2, 1, 9));
        a.OnFinal(Final(1, 1, 9));
        b.OnFinal(Final(2, 1, 9));
        b.OnFinal(Final(1, 1, 9));
        b.OnFinal(Final(1, 2, 9));

        MessageId[] expected = [Id(1, 1), Id(1, 2), Id(2, 1)];
        Assert.Equal(expected, oa.DeliveredIds);
        Assert.Equal(expected, ob.DeliveredIds);
    }

    [Fact]
    public void Resent_data_repeats_the_stored_proposal_without_a_second_entry_or_a_clock_change()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 3));
        r.OnData(Data(2, 1, ts: 8));
        long clock = r.Clock;

        Assert.Equal(ReceiveOutcome.Duplicate, r.OnData(Data(1, 1, ts: 3)));
        Assert.Equal((1, new ProposalMessage(Id(1, 1), 4)), o.Proposals[^1]);
        Assert.Equal(clock, r.Clock);
        Assert.Equal(2, r.PendingCount);
    }

    [Fact]
    public void A_resent_final_or_data_after_delivery_delivers_nothing_twice()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        r.OnFinal(Final(1, 1, 4));
        int proposals = o.Proposals.Count;
        long clock = r.Clock;

        Assert.Equal(ReceiveOutcome.Duplicate, r.OnFinal(Final(1, 1, 4)));
        Assert.Equal(ReceiveOutcome.Duplicate, r.OnData(Data(1, 1, ts: 0)));
        Assert.Single(o.Delivered);
        Assert.Equal(proposals, o.Proposals.Count);
        Assert.Equal(0, r.PendingCount);
        Assert.Equal(clock, r.Clock);
    }

    [Fact]
    public void A_resent_final_for_a_message_already_final_changes_nothing()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(1, 1, ts: 0));
        r.OnData(Data(2, 1, ts: 0));
        r.OnFinal(Final(2, 1, 5));
        long clock = r.Clock;
        Assert.Equal(ReceiveOutcome.Duplicate, r.OnFinal(Final(2, 1, 5)));
        Assert.Equal(clock, r.Clock);
        Assert.Empty(o.Delivered);
        Assert.Equal(2, r.PendingCount);
    }

    [Fact]
    public void Protocol_violations_are_refused_and_change_nothing()
    {
        var (r, o) = NewReceiver();
        r.OnData(Data(2, 1, ts: 0));
        r.OnData(Data(1, 1, ts: 5));
        long clock = r.Clock;

        Assert.Equal(ReceiveOutcome.Invalid, r.OnFinal(Final(1, 2, 9)));
        Assert.Equal(ReceiveOutcome.Invalid, r.OnFinal(Final(3, 1, 9)));
        Assert.Equal(ReceiveOutcome.Invalid, r.OnFinal(Final(1, 1, 5)));
        Assert.Equal(ReceiveOutcome.Invalid, r.OnData(Data(-1, 1, ts: 0)));
        Assert.Equal(clock, r.Clock);
        Assert.Equal(2, r.PendingCount);

        Assert.Equal(ReceiveOutcome.Accepted, r.OnFinal(Final(1, 1, 8)));
        Assert.Equal(ReceiveOutcome.Invalid, r.OnFinal(Final(1, 1, 9)));
        Assert.Empty(o.Delivered);
        Assert.Equal(ReceiveOutcome.Accepted, r.OnFinal(Final(2, 1, 7)));
        Assert.Equal([(Id(2, 1), 7L), (Id(1, 1), 8L)], o.Delivered.Select(d => (d.Id, d.Timestamp)));
    }

    [Fact]
    public void Messages_of_a_sender_the_view_removed_are_dropped_but_a_sender_of_a_newer_view_is_heard()
    {
        var (r, o) = NewReceiver();
        SkeenView view1 = View0.WithoutSender(3);
        Assert.Equal(ViewOutcome.Installed, r.InstallView(view1));

        Assert.Equal(ReceiveOutcome.StaleSender, r.OnData(Data(3, 1, ts: 0)));
        Assert.Equal(ReceiveOutcome.StaleSender, r.OnMarker(new EpochMarker(3, 0)));
        Assert.Equal(ReceiveOutcome.StaleSender, r.OnData(Data(9, 1, ts: 0, epoch: 1)));
        Assert.Equal(ReceiveOutcome.Accepted, r.OnData(Data(9, 1, ts: 0, epoch: 2)));
        Assert.Equal(0, r.PendingCount - 1);
        Assert.Equal([9], o.Proposals.Select(p => p.Sender));
    }

    [Fact]
    public void Data_for_another_group_or_a_previous_incarnation_of_the_node_is_not_addressed_here()
    {
        var output = new ReceiverRecorder();
        SkeenView view1 = View0.WithoutReceiver(0);
        SkeenView view2 = view1.WithJoiner(0, 0, donor: 1);
        var r = new SkeenReceiver<string>(0, view2.Epoch, output);
        r.InstallView(view2);

        Assert.Equal(ReceiveOutcome.NotAddressed, r.OnData(Data(1, 1, ts: 0, GroupSet.Of(1), epoch: 2)));
        Assert.Equal(ReceiveOutcome.NotAddressed, r.OnData(Data(1, 1, ts: 0, epoch: 1)));
        Assert.Equal(ReceiveOutcome.NotAddressed, r.OnFinal(Final(1, 1, 5, epoch: 1)));
        Assert.Equal(ReceiveOutcome.Accepted, r.OnData(Data(1, 2, ts: 0, epoch: 2)));
        Assert.Single(output.Proposals);
    }

    [Fact]
    public void A_receiver_left_out_of_a_view_stops_and_ignores_older_views()
    {
        var (r, _) = NewReceiver();
        SkeenView view1 = View0.WithoutReceiver(0);
        Assert.Equal(ViewOutcome.Stale, r.InstallView(View0));
        Assert.Equal(ViewOutcome.Excluded, r.InstallView(view1));
        Assert.True(r.IsStopped);
        Assert.Equal(ReceiveOutcome.Stopped, r.OnData(Data(1, 1, ts: 0)));
        Assert.Equal(ViewOutcome.Excluded, r.InstallView(view1.WithSender(7)));
    }

    [Fact]
    public void A_receiver_must_start_in_a_view_that_admits_it()
    {
        var r = new SkeenReceiver<string>(5, 0, new ReceiverRecorder());
        Assert.Throws<InvalidOperationException>(() => r.OnData(Data(1, 1, ts: 0)));
        var e = Assert.Throws<ArgumentException>(() => r.InstallView(View0));
        Assert.Contains("not in view 0", e.Message);
        Assert.Null(r.View);
    }
}
