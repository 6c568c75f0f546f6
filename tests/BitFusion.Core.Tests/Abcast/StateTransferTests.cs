using BitFusion.Core.Abcast;
using static BitFusion.Core.Tests.Abcast.Msg;

namespace BitFusion.Core.Tests.Abcast;

public class StateTransferTests
{
    // Group 0: nodes 0 and 1; group 1: node 2; senders 1 and 2. Node 1 crashes (view 1) and rejoins from node 0 (view 2).
    private static readonly SkeenView View0 = SkeenView.Initial([(0, 0), (1, 0), (2, 1)], [1, 2]);
    private static readonly SkeenView View1 = View0.WithoutReceiver(1);
    private static readonly SkeenView View2 = View1.WithJoiner(1, 0, donor: 0);

    private static (SkeenReceiver<string> Donor, ReceiverRecorder Out) NewDonor()
    {
        var output = new ReceiverRecorder();
        var donor = new SkeenReceiver<string>(0, 0, output);
        donor.InstallView(View0);
        return (donor, output);
    }

    private static (SkeenReceiver<string> Joiner, ReceiverRecorder Out) NewJoiner()
    {
        var output = new ReceiverRecorder();
        var joiner = new SkeenReceiver<string>(1, View2.Epoch, output);
        Assert.Equal(ViewOutcome.Installed, joiner.InstallView(View2));
        Assert.False(joiner.IsCaughtUp);
        return (joiner, output);
    }

    [Fact]
    public void The_donor_snapshots_once_every_sender_passed_the_join_epoch_and_older_messages_are_settled()
    {
        var (d, o) = NewDonor();
        d.OnData(Data(1, 1, ts: 0));
        d.InstallView(View1);
        d.InstallView(View2);
        d.OnMarker(new EpochMarker(1, 2));
        Assert.Empty(o.Transfers);
        d.OnMarker(new EpochMarker(2, 2));
        Assert.Empty(o.Transfers);

        d.OnFinal(Final(1, 1, 5));
        Assert.Equal(["propose 1#1 1", "deliver 1#1 5", "transfer to 1"], o.Trace);
        SkeenTransfer t = o.Transfers.Single().Transfer;
        Assert.Equal((0, 2L), (t.Donor, t.JoinEpoch));
        Assert.True(t.Clock >= 5);
        Assert.Equal(new OrderKey(5, Id(1, 1)), t.LastDelivered);
        Assert.Empty(t.Pending);
        Assert.Equal([new DeliveredFinal(Id(1, 1), 5, 0, G0)], t.Delivered.ToArray());
    }

    [Fact]
    public void A_joiner_proposes_at_once_but_delivers_nothing_before_its_transfer()
    {
        var (j, o) = NewJoiner();
        Assert.Equal(ReceiveOutcome.Accepted, j.OnData(Data(1, 1, ts: 0, epoch: 2)));
        Assert.Single(o.Proposals);
        Assert.Equal(ReceiveOutcome.Accepted, j.OnFinal(Final(1, 1, 9, epoch: 2)));
        Assert.Empty(o.Delivered);

        j.InstallTransfer(new SkeenTransfer(0, 2, 7, new OrderKey(6, Id(2, 4)), [new SenderWatermark(1, 0)], [], []));
        Assert.Equal([(Id(1, 1), 9L, "1#1")], o.Delivered);
        Assert.True(j.IsCaughtUp);
        Assert.True(j.Clock >= 7);
    }

    [Fact]
    public void Installing_a_transfer_drops_what_the_snapshot_reflects_keeps_the_rest_and_lifts_the_clock()
    {
        var (d, od) = NewDonor();
        var (j, oj) = NewJoiner();
        d.InstallView(View2);
        // a, b, c are sent after the join to both replicas; the donor has not received c yet when it snapshots.
        foreach (SkeenReceiver<string> r in new[] { d, j })
        {
            r.OnData(Data(1, 1, ts: 0, epoch: 2));
            r.OnData(Data(1, 2, ts: 10, epoch: 2));
        }
        j.OnData(Data(1, 3, ts: 0, epoch: 2));
        d.OnFinal(Final(1, 1, 4, epoch: 2));
        j.OnFinal(Final(1, 1, 4, epoch: 2));
        Assert.Equal([Id(1, 1)], od.DeliveredIds);
        d.OnMarker(new EpochMarker(2, 2));
        SkeenTransfer t = od.Transfers.Single().Transfer;
        Assert.Equal([new SenderWatermark(1, 2), new SenderWatermark(2, 0)], t.Watermarks.OrderBy(w => w.Sender).ToArray());
        Assert.Equal([Id(1, 2)], t.Pending.ToArray());

        j.InstallTransfer(t);
        Assert.Equal([(Id(1, 1), DiscardReason.InTransferredState)], oj.Discarded.Select(x => (x.Id, x.Reason)));
        Assert.Empty(oj.Delivered);
        Assert.True(j.IsCaughtUp);
        Assert.True(j.Clock >= t.Clock);

        j.OnFinal(Final(1, 2, 11, epoch: 2));
        j.OnFinal(Final(1, 3, 13, epoch: 2));
        Assert.Equal([Id(1, 2), Id(1, 3)], oj.DeliveredIds);

        int proposals = oj.Proposals.Count;
        Assert.Equal(ReceiveOutcome.Duplicate, j.OnFinal(Final(1, 1, 4, epoch: 2)));
        Assert.Equal(ReceiveOutcome.Duplicate, j.OnData(Data(1, 1, ts: 0, epoch: 2)));
        Assert.Equal(proposals, oj.Proposals.Count);
        Assert.Equal(2, oj.Delivered.Count);

        j.OnData(Data(2, 1, ts: 0, epoch: 2));
        Assert.True(oj.ProposalFor(Id(2, 1)) > 13);
    }

    [Fact]
    public void A_joiner_reports_the_final_timestamps_it_inherited_when_their_sender_dies()
    {
        var (j, _) = NewJoiner();
        var inherited = new DeliveredFinal(Id(2, 3), 6, 1, G0);
        j.InstallTransfer(new SkeenTransfer(0, 2, 7, new OrderKey(6, Id(2, 3)), [new SenderWatermark(2, 3)], [], [inherited]));
        j.InstallView(View2.WithoutSender(2));
        Assert.Equal([new OrphanEntry(3, 1, G0, OrphanState.Delivered, 6)], j.ReportOrphans(2).Entries.ToArray());
        Assert.True(j.ReportOrphans(2).HasState);
    }

    [Fact]
    public void A_kept_message_finalised_below_the_transferred_state_aborts_the_join_before_any_delivery()
    {
        // The donor delivered (15, 2#1) while holding 1#1 at a higher proposal; if the donor dies before that
        // proposal counts, 1#1 can be finalised below 15, and the snapshot is no longer a prefix of the order.
        var t = new SkeenTransfer(0, 2, 20, new OrderKey(15, Id(2, 1)), [new SenderWatermark(1, 1)], [Id(1, 1)], []);

        var (poisoned, op) = NewJoiner();
        poisoned.OnData(Data(1, 1, ts: 0, epoch: 2));
        poisoned.InstallTransfer(t);
        Assert.False(poisoned.IsCaughtUp);
        Assert.Equal(ReceiveOutcome.Stopped, poisoned.OnFinal(Final(1, 1, 3, epoch: 2)));
        Assert.Equal(ViewOutcome.JoinAborted, poisoned.StopReason);
        Assert.Empty(op.Delivered);

        var (healthy, oh) = NewJoiner();
        healthy.OnData(Data(1, 1, ts: 0, epoch: 2));
        healthy.InstallTransfer(t);
        Assert.Equal(ReceiveOutcome.Accepted, healthy.OnFinal(Final(1, 1, 16, epoch: 2)));
        Assert.True(healthy.IsCaughtUp);
        Assert.Equal([Id(1, 1)], oh.DeliveredIds);
    }

    [Fact]
    public void A_joiner_aborts_when_its_donor_leaves_before_it_caught_up()
    {
        var (j, _) = NewJoiner();
        Assert.Equal(ViewOutcome.JoinAborted, j.InstallView(View2.WithoutReceiver(0)));
        Assert.Equal(ViewOutcome.JoinAborted, j.StopReason);
        Assert.Throws<InvalidOperationException>(() => j.InstallTransfer(new SkeenTransfer(0, 2, 0, default, [], [], [])));
    }

    [Fact]
    public void A_caught_up_joiner_outlives_its_donor()
    {
        var (j, _) = NewJoiner();
        j.InstallTransfer(new SkeenTransfer(0, 2, 0, default, [], [], []));
        Assert.Equal(ViewOutcome.Installed, j.InstallView(View2.WithoutReceiver(0)));
    }

    [Fact]
    public void The_donor_drops_the_transfer_of_a_joiner_that_left_again()
    {
        var (d, o) = NewDonor();
        d.InstallView(View2);
        d.InstallView(View2.WithoutReceiver(1));
        d.OnMarker(new EpochMarker(1, 3));
        d.OnMarker(new EpochMarker(2, 3));
        Assert.Empty(o.Transfers);
    }

    [Fact]
    public void A_transfer_meant_for_another_replica_is_refused_and_changes_nothing()
    {
        var (j, o) = NewJoiner();
        j.OnData(Data(1, 1, ts: 0, epoch: 2));
        Assert.Throws<ArgumentException>(() => j.InstallTransfer(new SkeenTransfer(0, 5, 99, default, [], [], [])));
        Assert.Throws<ArgumentException>(() => j.InstallTransfer(new SkeenTransfer(2, 2, 99, default, [], [], [])));
        Assert.False(j.IsCaughtUp);
        Assert.Equal(1, j.Clock);
        Assert.Equal(1, j.PendingCount);

        var (d, _) = NewDonor();
        Assert.Throws<InvalidOperationException>(() => d.InstallTransfer(new SkeenTransfer(0, 0, 0, default, [], [], [])));
    }
}
