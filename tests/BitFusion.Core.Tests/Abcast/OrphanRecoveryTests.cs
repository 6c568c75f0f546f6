using BitFusion.Core.Abcast;
using static BitFusion.Core.Tests.Abcast.Msg;

namespace BitFusion.Core.Tests.Abcast;

public class OrphanRecoveryTests
{
    // Group 0: nodes 0 and 1; group 1: node 2. Sender 2 dies in view 1.
    private static readonly SkeenView View0 = SkeenView.Initial([(0, 0), (1, 0), (2, 1)], [1, 2]);
    private static readonly SkeenView View1 = View0.WithoutSender(2);

    private static OrphanEntry Tentative(long seq, long ts, GroupSet? groups = null, long epoch = 0) =>
        new(seq, epoch, groups ?? G0, OrphanState.Tentative, ts);

    private static OrphanEntry Held(OrphanState state, long seq, long ts, GroupSet? groups = null) =>
        new(seq, 0, groups ?? G0, state, ts);

    private static OrphanReport Report(int node, params OrphanEntry[] entries) =>
        new(node, View1.Epoch, 2, true, [.. entries]);

    private static OrphanVerdict[] Decide(SkeenView view, params OrphanReport[] reports)
    {
        var recovery = new OrphanRecovery(2, view);
        foreach (OrphanReport r in reports) Assert.True(recovery.Add(r));
        Assert.True(recovery.IsComplete);
        return [.. recovery.Decide().Verdicts];
    }

    [Theory]
    [InlineData(OrphanState.Final)]
    [InlineData(OrphanState.Delivered)]
    public void A_final_timestamp_held_anywhere_finalises_the_orphan_everywhere_with_it(object state)
    {
        // An object, not OrphanState: the library keeps that type internal, and a test method must stay public.
        var verdicts = Decide(View1, Report(0, Held((OrphanState)state, 1, 7)), Report(1, Tentative(1, 5)), Report(2));
        Assert.Equal([new OrphanVerdict(1, true, 7)], verdicts);
    }

    [Fact]
    public void An_orphan_every_member_holds_tentatively_is_finalised_at_the_largest_proposal()
    {
        var verdicts = Decide(View1, Report(0, Tentative(1, 5)), Report(1, Tentative(1, 6)), Report(2));
        Assert.Equal([new OrphanVerdict(1, true, 6)], verdicts);
    }

    [Fact]
    public void An_orphan_some_member_never_received_is_discarded()
    {
        var verdicts = Decide(View1, Report(0, Tentative(1, 5)), Report(1), Report(2));
        Assert.Equal([new OrphanVerdict(1, false, 0)], verdicts);
    }

    [Fact]
    public void A_multi_group_orphan_missing_from_one_group_is_discarded_in_every_group()
    {
        GroupSet both = GroupSet.Of(0, 1);
        var verdicts = Decide(View1, Report(0, Tentative(1, 5, both)), Report(1, Tentative(1, 4, both)), Report(2));
        Assert.Equal([new OrphanVerdict(1, false, 0)], verdicts);
        verdicts = Decide(View1, Report(0, Tentative(1, 5, both)), Report(1, Tentative(1, 4, both)), Report(2, Tentative(1, 8, both)));
        Assert.Equal([new OrphanVerdict(1, true, 8)], verdicts);
    }

    [Fact]
    public void A_joiner_awaiting_its_snapshot_need_not_hold_an_orphan_sent_before_it_joined()
    {
        SkeenView view = View1.WithoutReceiver(1).WithJoiner(1, 0, donor: 0);
        OrphanReport joiner = new(1, view.Epoch, 2, false, []);
        var verdicts = Decide(view, Report(0, Tentative(1, 5)) with { Epoch = view.Epoch }, joiner, Report(2) with { Epoch = view.Epoch });
        Assert.Equal([new OrphanVerdict(1, true, 5)], verdicts);
    }

    [Fact]
    public void A_joiner_that_has_its_state_and_lacks_an_older_orphan_forces_a_discard()
    {
        SkeenView view = View1.WithoutReceiver(1).WithJoiner(1, 0, donor: 0);
        OrphanReport joiner = new(1, view.Epoch, 2, true, []);
        var verdicts = Decide(view, Report(0, Tentative(1, 5)) with { Epoch = view.Epoch }, joiner, Report(2) with { Epoch = view.Epoch });
        Assert.Equal([new OrphanVerdict(1, false, 0)], verdicts);
    }

    [Fact]
    public void A_joiner_awaiting_its_snapshot_must_hold_an_orphan_sent_after_it_joined()
    {
        SkeenView view = View0.WithoutReceiver(1).WithJoiner(1, 0, donor: 0).WithoutSender(2);
        long sentIn = view.Epoch - 1;
        OrphanReport donor = new(0, view.Epoch, 2, true, [Tentative(1, 5, epoch: sentIn)]);
        OrphanReport other = new(2, view.Epoch, 2, true, []);
        Assert.Equal([new OrphanVerdict(1, false, 0)], Decide(view, donor, new OrphanReport(1, view.Epoch, 2, false, []), other));
        Assert.Equal([new OrphanVerdict(1, true, 6)], Decide(view, donor, new OrphanReport(1, view.Epoch, 2, false, [Tentative(1, 6, epoch: sentIn)]), other));
    }

    [Fact]
    public void Deciding_needs_a_report_from_every_member_of_the_view_and_unusable_reports_are_refused()
    {
        var recovery = new OrphanRecovery(2, View1);
        Assert.True(recovery.Add(Report(0, Tentative(1, 5))));
        Assert.False(recovery.Add(Report(0)));
        Assert.False(recovery.Add(Report(1) with { Epoch = 0 }));
        Assert.False(recovery.Add(Report(7)));
        Assert.Throws<ArgumentException>(() => recovery.Add(Report(1) with { DeadSender = 1 }));
        var e = Assert.Throws<InvalidOperationException>(() => recovery.Decide());
        Assert.Contains("1 of 3 reports", e.Message);
        Assert.Throws<ArgumentException>(() => new OrphanRecovery(1, View1));
    }

    [Fact]
    public void Two_different_final_timestamps_for_one_message_are_an_error()
    {
        var recovery = new OrphanRecovery(2, View1);
        recovery.Add(Report(0, Held(OrphanState.Final, 1, 7)));
        recovery.Add(Report(1, Held(OrphanState.Delivered, 1, 8)));
        recovery.Add(Report(2));
        Assert.Throws<InvalidOperationException>(() => recovery.Decide());
    }

    /// <summary>Three replicas holding sender 2's messages in different states after it died mid-multicast.</summary>
    private static (SkeenReceiver<string>[] Replicas, ReceiverRecorder[] Outs) OrphanedReplicas()
    {
        var outs = new[] { new ReceiverRecorder(), new ReceiverRecorder(), new ReceiverRecorder() };
        var replicas = new SkeenReceiver<string>[3];
        for (int n = 0; n < 3; n++)
        {
            replicas[n] = new SkeenReceiver<string>(n, 0, outs[n]);
            replicas[n].InstallView(View0);
        }
        GroupSet both = GroupSet.Of(0, 1);
        // 2#1 (group 0) reached both replicas; its final reached only node 0.
        replicas[0].OnData(Data(2, 1, ts: 1));
        replicas[1].OnData(Data(2, 1, ts: 1));
        replicas[0].OnFinal(Final(2, 1, 3));
        // 2#2 (both groups) reached nodes 0 and 2 but not node 1.
        replicas[0].OnData(Data(2, 2, ts: 2, both));
        replicas[2].OnData(Data(2, 2, ts: 2, both));
        // 2#3 (group 0) reached both replicas of group 0, no final anywhere.
        replicas[0].OnData(Data(2, 3, ts: 3));
        replicas[1].OnData(Data(2, 3, ts: 3));
        // A live sender's message queues behind the orphans at node 1.
        replicas[1].OnData(Data(1, 1, ts: 9));
        replicas[0].OnData(Data(1, 1, ts: 9));
        replicas[1].OnFinal(Final(1, 1, 11));
        replicas[0].OnFinal(Final(1, 1, 11));
        foreach (SkeenReceiver<string> r in replicas) Assert.Equal(ViewOutcome.Installed, r.InstallView(View1));
        return (replicas, outs);
    }

    [Fact]
    public void A_sender_dying_between_data_and_final_pins_queues_until_recovery_then_every_replica_settles_alike()
    {
        var (replicas, outs) = OrphanedReplicas();
        Assert.Empty(outs[1].Delivered);
        Assert.Equal([Id(2, 1)], outs[0].DeliveredIds);
        Assert.Equal(ReceiveOutcome.StaleSender, replicas[1].OnFinal(Final(2, 1, 3)));

        var recovery = new OrphanRecovery(2, View1);
        foreach (SkeenReceiver<string> r in replicas) recovery.Add(r.ReportOrphans(2));
        RecoveryDecision decision = recovery.Decide();
        long maxProposal3 = Math.Max(outs[0].ProposalFor(Id(2, 3)), outs[1].ProposalFor(Id(2, 3)));
        Assert.Equal([new OrphanVerdict(1, true, 3), new OrphanVerdict(2, false, 0), new OrphanVerdict(3, true, maxProposal3)], decision.Verdicts.ToArray());

        foreach (SkeenReceiver<string> r in replicas) r.ApplyRecovery(decision);
        MessageId[] order = [Id(2, 1), Id(2, 3), Id(1, 1)];
        Assert.Equal(order, outs[0].DeliveredIds);
        Assert.Equal(order, outs[1].DeliveredIds);
        Assert.Empty(outs[2].Delivered);
        Assert.Equal([(Id(2, 2), DiscardReason.OrphanDropped)], outs[0].Discarded.Select(d => (d.Id, d.Reason)));
        Assert.Equal([(Id(2, 2), DiscardReason.OrphanDropped)], outs[2].Discarded.Select(d => (d.Id, d.Reason)));
        Assert.All(replicas, r => Assert.Equal(0, r.PendingCount));
    }

    [Fact]
    public void Collecting_again_after_part_of_the_verdicts_were_applied_reaches_the_same_verdicts()
    {
        var (replicas, _) = OrphanedReplicas();
        var first = new OrphanRecovery(2, View1);
        foreach (SkeenReceiver<string> r in replicas) first.Add(r.ReportOrphans(2));
        RecoveryDecision decision = first.Decide();
        replicas[1].ApplyRecovery(decision);

        var second = new OrphanRecovery(2, View1);
        foreach (SkeenReceiver<string> r in replicas) second.Add(r.ReportOrphans(2));
        Assert.Equal(decision.Verdicts.ToArray(), second.Decide().Verdicts.ToArray());
    }

    [Fact]
    public void A_replica_refuses_recovery_work_for_a_sender_still_in_its_view_and_contradicting_verdicts()
    {
        var (replicas, outs) = OrphanedReplicas();
        var fresh = new SkeenReceiver<string>(0, 0, new ReceiverRecorder());
        fresh.InstallView(View0);
        Assert.Throws<InvalidOperationException>(() => fresh.ReportOrphans(2));
        Assert.Throws<InvalidOperationException>(() => fresh.ApplyRecovery(new RecoveryDecision(2, 0, [])));

        // Node 0 holds 2#1 final at 3 (delivered) and 2#3 tentative: a discard of a final or a final below its proposal is refused whole.
        var bad = new RecoveryDecision(2, 1, [new OrphanVerdict(2, false, 0), new OrphanVerdict(3, true, 0)]);
        var e = Assert.Throws<ArgumentException>(() => replicas[0].ApplyRecovery(bad));
        Assert.Contains("2#3", e.Message);
        Assert.Equal(3, replicas[0].PendingCount);
        Assert.Empty(outs[0].Discarded);
    }

    [Fact]
    public void Final_timestamps_are_remembered_until_the_sender_reports_them_stable()
    {
        var outA = new ReceiverRecorder();
        var a = new SkeenReceiver<string>(0, 0, outA);
        var b = new SkeenReceiver<string>(0, 0, new ReceiverRecorder());
        foreach (SkeenReceiver<string> r in new[] { a, b })
        {
            r.InstallView(View0);
            r.OnData(Data(2, 1, ts: 0));
            r.OnFinal(Final(2, 1, 4));
        }
        a.OnData(Data(2, 2, ts: 0, stable: 1));
        b.OnData(Data(2, 2, ts: 0, stable: 0));
        a.InstallView(View1);
        b.InstallView(View1);
        Assert.Equal([Tentative(2, outA.ProposalFor(Id(2, 2)))], a.ReportOrphans(2).Entries.ToArray());
        Assert.Equal(Held(OrphanState.Delivered, 1, 4), b.ReportOrphans(2).Entries[0]);
    }

    [Fact]
    public void A_dead_sender_is_forgotten_only_once_none_of_its_messages_is_pending()
    {
        var (replicas, _) = OrphanedReplicas();
        Assert.Throws<InvalidOperationException>(() => replicas[0].ForgetSender(2));
        Assert.Throws<InvalidOperationException>(() => replicas[0].ForgetSender(1));
        var recovery = new OrphanRecovery(2, View1);
        foreach (SkeenReceiver<string> r in replicas) recovery.Add(r.ReportOrphans(2));
        replicas[0].ApplyRecovery(recovery.Decide());
        replicas[0].ForgetSender(2);
        Assert.Empty(replicas[0].ReportOrphans(2).Entries);
        Assert.Equal(ReceiveOutcome.StaleSender, replicas[0].OnData(Data(2, 9, ts: 0)));
    }
}
