using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// One test per membership bug the cluster simulator found; each failed on the logic ported unchanged from the Net
/// adapters (commit "Core: ManagerMembership and DataNodeMember ... unchanged") and passes with the fix.
/// </summary>
public class MembershipRegressionTests
{
    private const int ManagerA = 100, ManagerB = 101;
    private const long Grace = 1_000;
    private static readonly ReadLease Lease = ReadLease.For(Grace);

    private static ClusterView View(long epoch, int coordinator, IEnumerable<ViewMember> receivers, int[] senders, int[] dead) =>
        new(new SkeenView(epoch, receivers, senders), coordinator, receivers.ToDictionary(m => m.Node, m => (ulong)(1000 + m.Node)),
            senders.ToDictionary(s => s, s => (ulong)(2000 + s)), dead);

    private static ViewMember Founder(int node) => new(node, 0, 0);

    [Fact]
    public void An_orphan_report_skipped_while_the_coordinator_was_not_connected_goes_out_on_its_hello()
    {
        // The known rejoin-during-manager-crash hang: the view that drops a dead manager reached this node before the
        // new coordinator's connection said which sender it is, so the report was skipped and never sent again.
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerA, ManagerA);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        node.ViewReceived(ManagerA, View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]));
        Assert.Empty(output.Reports);

        node.ManagerHello(ManagerB, ManagerB);

        OrphanReport report = Assert.Single(output.Reports).Report;
        Assert.Equal(ManagerA, report.DeadSender);
        Assert.Equal(1, report.Epoch);
    }

    [Fact]
    public void A_delivery_report_lost_with_a_dropped_connection_goes_out_again_on_the_managers_hello()
    {
        // Simulator seeds 300001 and 400013 (and the pause/drop chaos, seed 167216075): a replica delivered a write while
        // its manager's connection was down (or the report died with it); the manager, still waiting for that report
        // and with the replica still in the view, never answered the write.
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 2, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, ManagerA);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA], []));
        for (long seq = 1; seq <= 3; seq++)
            Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(ManagerA, seq), seq, 0, GroupSet.Of(0), 0, (int)seq)));
        node.Final(new FinalMessage(new MessageId(ManagerA, 1), 2, 0, 0));
        node.ManagerClosed(ManagerA);
        node.Final(new FinalMessage(new MessageId(ManagerA, 2), 3, 0, 0));
        node.Final(new FinalMessage(new MessageId(ManagerA, 3), 4, 0, 0));
        Assert.Equal([1L], output.Delivered.Select(d => d.Report.Id.Seq));

        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, ManagerA);

        // The last window (2) of reports, in delivery order; the first went out on the old connection.
        Assert.Equal([1L, 2, 3], output.Delivered.Select(d => d.Report.Id.Seq));
        Assert.All(output.Delivered, d => Assert.Equal(ManagerA, d.Manager));
    }

    [Fact]
    public void A_late_report_gets_the_decision_again()
    {
        // Verdicts went only to the nodes connected at that instant; one that missed them re-reports and must be answered.
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        m.PeerClosed(ManagerB, now: 10, lastHeard: 10);
        m.Tick(10 + Grace);
        ClusterView view = m.View!;
        Assert.Equal([ManagerB], view.DeadSenders.ToArray());
        m.OrphanReportReceived(new OrphanReport(1, view.Epoch, ManagerB, true, []));
        m.OrphanReportReceived(new OrphanReport(2, view.Epoch, ManagerB, true, []));
        int decided = output.Verdicts.Count;
        Assert.True(decided >= 1);

        m.OrphanReportReceived(new OrphanReport(2, view.Epoch, ManagerB, true, []));

        Assert.Equal(decided + 1, output.Verdicts.Count);
        Assert.Equal(2, output.Verdicts[^1].Node);
        Assert.Equal(ManagerB, output.Verdicts[^1].Decision.DeadSender);
    }

    [Fact]
    public void An_excluded_data_node_that_answers_again_is_fenced()
    {
        // A node excluded behind a dropped connection kept serving in its old view: views went only to members.
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        m.NodeClosed(2, now: 10, lastHeard: 10);
        m.Tick(10 + Grace);
        Assert.False(m.View!.Skeen.TryGetReceiver(2, out _));

        m.NodeConnected(2);
        m.NodeStatusReceived(2, new NodeStatus(1002, NodePhase.Serving, 0, 0, 5, 5));

        (int node, ClusterView fence) = Assert.Single(output.Fences);
        Assert.Equal(2, node);
        Assert.Equal(m.View!.Epoch, fence.Epoch);
    }

    [Fact]
    public void A_dropped_connection_that_comes_back_within_the_grace_period_excludes_no_one()
    {
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        long epoch = m.View!.Epoch;
        m.NodeClosed(2, now: 10, lastHeard: 10);
        m.NodeConnected(2);
        m.NodeStatusReceived(2, new NodeStatus(1002, NodePhase.Serving, 0, 0, 5, 5));
        m.Tick(10 + Grace);
        Assert.Equal(epoch, m.View!.Epoch);
        Assert.Empty(output.Fences);
    }

    [Fact]
    public void A_takeover_asks_every_data_node_of_the_configuration_not_only_the_view()
    {
        // A joiner admitted by the dying coordinator may be the only live holder of the newest view.
        var output = new ManagerRecorder();
        var m = new ManagerMembership(ManagerB, 2000 + ManagerB, [(1, 0), (2, 0), (3, 0)], [ManagerA, ManagerB], Grace, Lease, output);
        foreach (int n in new[] { 1, 2, 3 }) m.NodeConnected(n);
        m.PeerConnected(ManagerA);
        m.PeerHello(ManagerA, ManagerA, 2000 + ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        m.PeerClosed(ManagerA, now: 10, lastHeard: 10);
        m.PeerRefused(ManagerA);

        Assert.Contains(output.Queries, q => q.Node == 3);
        Assert.DoesNotContain(output.Views, v => v.Epoch > 0);
        ClusterView newest = View(1, ManagerA, [Founder(1), Founder(2), new ViewMember(3, 0, 1, 1)], [ManagerA, ManagerB], []);
        ulong id = output.Queries[^1].Id;
        m.ViewReport(1, id, m.View);
        m.ViewReport(2, id, m.View);
        m.ViewReport(3, id, newest);

        Assert.True(m.View!.Epoch >= 2, $"continued from {m.View}");
        Assert.True(m.View.Skeen.TryGetReceiver(3, out ViewMember joiner) && joiner.Incarnation == 1, $"lost the joiner: {m.View}");
    }

    [Fact]
    public void A_view_decided_by_a_deposed_coordinator_loses_to_its_successors_view_of_the_same_epoch()
    {
        ClusterView deposed = View(3, ManagerA, [Founder(1)], [ManagerA, ManagerB], []);
        ClusterView successor = View(3, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]);
        Assert.True(successor.Supersedes(deposed));
        Assert.False(deposed.Supersedes(successor));

        ulong next = 1001;
        var node = new DataNodeMember<int>(1, 0, () => next++, new DataNodeRecorder(), window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ViewReceived(ManagerA, deposed);
        Assert.True(node.IsServing);

        node.ViewReceived(ManagerA, successor);

        Assert.Equal(successor, node.View);
        Assert.NotEqual(1001UL, node.Life);
        Assert.Equal(NodePhase.Fresh, node.Phase);
    }

    [Fact]
    public void The_last_replica_keeps_its_state_when_the_successors_view_replaces_a_deposed_coordinators()
    {
        // Simulator seed 400115 (before reads were relayed; 400343 after): node 2 crashed while the coordinator (A) was
        // paused; A and its successor B both decided view 1 without node 2, and the group's last replica, holding A's,
        // started over when B's arrived: the group lost every replica after one crash.
        ClusterView v0 = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []);
        ClusterView deposed = View(1, ManagerA, [Founder(1)], [ManagerA, ManagerB], []);
        ClusterView successor = View(1, ManagerB, [Founder(1)], [ManagerB], [ManagerA]);
        var output = new DataNodeRecorder();
        ulong next = 1001;
        var node = new DataNodeMember<int>(1, 0, () => next++, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerB, ManagerB);
        node.ViewReceived(ManagerA, v0);
        node.Data(new DataMessage<int>(new MessageId(ManagerA, 1), 1, 0, GroupSet.Of(0), 0, 7));
        node.ViewReceived(ManagerA, deposed);

        node.ViewReceived(ManagerB, successor);

        Assert.Equal(1001UL, node.Life);
        Assert.True(node.IsServing);
        Assert.Same(successor, node.View);
        Assert.Equal(1, node.Skeen!.PendingCount);
        OrphanReport report = Assert.Single(output.Reports, r => r.Manager == ManagerB).Report;
        Assert.Equal((ManagerA, 1L), (report.DeadSender, report.Epoch));
    }

    [Fact]
    public void A_node_that_answered_a_successors_takeover_refuses_the_deposed_coordinators_view_and_keeps_its_replica()
    {
        // Simulator seeds 306986, 310772, 311368, 313966, 317494 and 415460: A (coordinator) and B each took the other for
        // dead across pauses; B's takeover query was answered with view 0, then A's view 1 (removing B) reached the node,
        // then B's view 1 (removing A, keeping B) replaced it and the replica started over, as every replica of the group did.
        ClusterView v0 = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []);
        ClusterView deposed = View(1, ManagerA, [Founder(1), Founder(2)], [ManagerA], [ManagerB]);
        ClusterView successor = View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]);
        var output = new DataNodeRecorder();
        ulong next = 1001;
        var node = new DataNodeMember<int>(1, 0, () => next++, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerA, ManagerA);
        node.ManagerHello(ManagerB, ManagerB);
        node.ViewReceived(ManagerA, v0);
        node.ManagerClosed(ManagerA);
        node.Query(ManagerB, 7, [ManagerA]);
        Assert.Equal((ManagerB, 7UL, v0), output.ViewReports[^1]);

        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, ManagerA);
        node.ViewReceived(ManagerA, deposed);

        Assert.Same(v0, node.View);
        Assert.Equal((ManagerA, TakeoverQuery.Refused, deposed), output.ViewReports[^1]);
        node.ViewReceived(ManagerB, successor);
        Assert.Equal(1001UL, node.Life);
        Assert.True(node.IsServing);
        Assert.Same(successor, node.View);
    }

    [Fact]
    public void A_coordinator_whose_view_a_node_refuses_exits()
    {
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        m.ViewReport(1, TakeoverQuery.Refused, View(m.View!.Epoch, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]));
        Assert.False(m.IsExcluded);

        m.ViewReport(1, TakeoverQuery.Refused, m.View);

        Assert.True(m.IsExcluded);
        Assert.Single(output.Exclusions);
    }

    [Fact]
    public void A_deposed_coordinators_view_is_refused_when_a_third_manager_relays_it_and_installed_when_the_successor_does()
    {
        // Seed 311368: a third manager (C) installed A's deposed view after answering B's query and relayed it to the
        // replicas, which then started over for B's. Seed 400467: B itself relayed A's last view (decided before B took
        // over), which a joiner must install, or it loses the data B sends for that view.
        const int ManagerC = 102;
        ClusterView v0 = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB, ManagerC], []);
        ClusterView aLast = View(1, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB, ManagerC], []);
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        foreach (int m in new[] { ManagerB, ManagerC })
        {
            node.ManagerConnected(m);
            node.ManagerHello(m, m);
        }
        node.ViewReceived(ManagerC, v0);
        node.Query(ManagerB, 7, [ManagerA]);

        node.ViewReceived(ManagerC, aLast);
        Assert.Same(v0, node.View);
        Assert.Equal((ManagerC, TakeoverQuery.Refused, aLast), output.ViewReports[^1]);

        node.ViewReceived(ManagerB, aLast);
        Assert.Same(aLast, node.View);
        Assert.True(node.IsServing);
    }

    [Fact]
    public void A_successors_view_replaces_a_line_the_deposed_coordinator_ran_ahead_on()
    {
        // Seed 418964: the deposed coordinator A went on to view 3, admitting a restarted node 2 that never answered B's
        // query; B's views (epoch 2, A dead) lost to it on epoch, so node 2 waited for a donor in A's line forever.
        ClusterView aheadOnDeposedLine = View(3, ManagerA, [Founder(1), new ViewMember(2, 0, 3, 1)], [ManagerA, ManagerB], []);
        ClusterView successor = View(2, ManagerB, [Founder(1)], [ManagerB], [ManagerA]);
        ClusterView mutual = View(3, ManagerA, [Founder(1)], [ManagerA], [ManagerB]);
        Assert.True(successor.Supersedes(aheadOnDeposedLine));
        Assert.False(aheadOnDeposedLine.Supersedes(successor));
        Assert.True(successor.Supersedes(mutual));
        Assert.False(mutual.Supersedes(successor));
        Assert.True(View(4, ManagerB, [Founder(1)], [ManagerB], [ManagerA]).Supersedes(successor));

        ulong next = 1002;
        var node = new DataNodeMember<int>(2, 0, () => next++, new DataNodeRecorder(), window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ViewReceived(ManagerA, aheadOnDeposedLine);
        Assert.Equal(NodePhase.Joining, node.Phase);

        node.ViewReceived(ManagerA, successor);

        Assert.Same(successor, node.View);
        Assert.Equal(NodePhase.Fresh, node.Phase);
        Assert.NotEqual(1002UL, node.Life);
    }

    [Fact]
    public void A_failed_state_push_is_cut_again_after_the_delay_until_the_joiner_confirms_it_or_leaves()
    {
        // Issue 10: a push that failed was only logged by the adapter; the joiner then waited until some later view change.
        var output = new DataNodeRecorder();
        var donor = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease, pushRetryDelay: 50);
        donor.ManagerConnected(ManagerA);
        donor.ManagerHello(ManagerA, ManagerA);
        donor.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA], []));
        ClusterView joining = View(1, ManagerA, [Founder(1), new ViewMember(2, 0, 1, 1)], [ManagerA], []);
        donor.ViewReceived(ManagerA, joining);
        donor.Marker(new EpochMarker(ManagerA, 1));
        Assert.Equal([(2, 1002UL)], output.Pushes);
        Assert.Equal(1, donor.UnconfirmedPushes);

        donor.PushFailed(2, 1002, now: 1000);
        Assert.Equal([1050L], output.Wakes);
        donor.Tick(1049);
        Assert.Single(output.Pushes);
        donor.Tick(1050);
        Assert.Equal(2, output.Pushes.Count);
        donor.PushConfirmed(2, 999);
        Assert.Equal(1, donor.UnconfirmedPushes);
        donor.PushConfirmed(2, 1002);
        Assert.Equal(0, donor.UnconfirmedPushes);

        donor.ViewReceived(ManagerA, View(2, ManagerA, [Founder(1), new ViewMember(2, 0, 2, 1)], [ManagerA], []));
        donor.Marker(new EpochMarker(ManagerA, 2));
        Assert.Equal(3, output.Pushes.Count);
        donor.PushFailed(2, 1002, now: 2000);
        donor.ViewReceived(ManagerA, View(3, ManagerA, [Founder(1)], [ManagerA], []));
        donor.Tick(3000);
        Assert.Equal(3, output.Pushes.Count);
        Assert.Equal(0, donor.UnconfirmedPushes);
    }

    [Fact]
    public void A_replica_serves_reads_only_within_a_lease_counted_from_its_request()
    {
        // Seeds 306086, 306330, 307611, 318369, 411947: a replica excluded while paused served, on resuming, a read a
        // manager that had not installed the exclusion relayed to it, and missed a write acknowledged meanwhile. It served
        // whenever caught up; now only within a granted lease, counted from when it sent the request (a grant that
        // waited out a pause in its buffers answers a request as old as the pause, so it lets it serve nothing).
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, ManagerA);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA], []));
        Assert.True(node.IsServing);
        Assert.Equal((ManagerA, 1001UL), Assert.Single(output.LeaseRequests));
        Assert.False(node.MayServeRead(0));

        node.LeaseGranted(ManagerA, 1001, sentAt: 100);
        Assert.True(node.MayServeRead(100 + Lease.Duration - 1));
        Assert.False(node.MayServeRead(100 + Lease.Duration));

        node.LeaseGranted(ManagerA, 1001, sentAt: 150);
        Assert.False(node.MayServeRead(5_000), "a grant processed after a pause extends nothing past its request's time");
        node.LeaseGranted(ManagerA, 999, sentAt: 4_900);
        Assert.False(node.MayServeRead(5_000), "a grant for another life");
    }

    [Fact]
    public void A_replica_takes_no_lease_from_a_coordinator_a_successor_deposed()
    {
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerA, ManagerA);
        node.ManagerHello(ManagerB, ManagerB);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        node.Query(ManagerB, 7, [ManagerA]);
        node.ManagerClosed(ManagerA);
        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, ManagerA);
        Assert.Single(output.ViewReports, r => r.QueryId == 7);
        Assert.DoesNotContain(output.ViewReports.Skip(3), r => r.Manager == ManagerA);

        node.LeaseGranted(ManagerA, 1001, sentAt: 100);
        Assert.False(node.MayServeRead(101));
        node.LeaseGranted(ManagerB, 1001, sentAt: 100);
        Assert.True(node.MayServeRead(101));
    }

    [Fact]
    public void Only_the_coordinator_grants_and_only_to_a_life_its_view_admits()
    {
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        Assert.True(m.LeaseRequested(1, 1001, now: 5));
        Assert.False(m.LeaseRequested(2, 9999, now: 5));

        var other = new ManagerMembership(ManagerB, 2000 + ManagerB, [(1, 0), (2, 0)], [ManagerA, ManagerB], Grace, Lease, new ManagerRecorder());
        other.PeerConnected(ManagerA);
        other.PeerHello(ManagerA, ManagerA, 2000 + ManagerA, m.View);
        Assert.False(other.LeaseRequested(1, 1001, now: 5));
    }

    [Fact]
    public void A_new_coordinator_excludes_a_silent_replica_only_once_its_predecessors_leases_have_run_out()
    {
        // The predecessor may have granted the silent replica a lease just before it died: the successor cannot know,
        // so it keeps every member that is not proven gone for one lease after it starts coordinating.
        var output = new ManagerRecorder();
        var m = new ManagerMembership(ManagerB, 2000 + ManagerB, [(1, 0), (2, 0)], [ManagerA, ManagerB], Grace, Lease, output);
        foreach (int n in new[] { 1, 2 })
        {
            m.NodeConnected(n);
            m.NodeStatusReceived(n, new NodeStatus((ulong)(1000 + n), NodePhase.Serving, 0, 0, 0, 0));
        }
        m.PeerConnected(ManagerA);
        m.PeerHello(ManagerA, ManagerA, 2000 + ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        m.NodeClosed(2, now: 10, lastHeard: 10);
        m.PeerClosed(ManagerA, now: 10, lastHeard: 10);
        m.PeerRefused(ManagerA);
        m.ViewReport(1, output.Queries[^1].Id, m.View);
        m.Tick(10 + Grace);

        Assert.Equal([ManagerA], m.View!.DeadSenders.ToArray());
        Assert.True(m.View.Skeen.TryGetReceiver(2, out _), $"excluded node 2 at once: {m.View}");
        long holdFrom = 10 + Grace + 1;
        m.Tick(holdFrom);
        m.Tick(holdFrom + Lease.Hold - 1);
        Assert.True(m.View.Skeen.TryGetReceiver(2, out _), $"excluded node 2 before a lease ran out: {m.View}");
        Assert.True(m.LeaseRequested(1, 1001, now: holdFrom + Lease.Hold - 1));

        m.Tick(holdFrom + Lease.Hold);
        Assert.False(m.View.Skeen.TryGetReceiver(2, out _), $"kept node 2: {m.View}");
    }

    [Fact]
    public void A_replica_proven_gone_is_excluded_whatever_its_lease()
    {
        var output = new ManagerRecorder();
        var m = BootedManager(output, nodes: [1, 2]);
        Assert.True(m.LeaseRequested(2, 1002, now: 5));
        m.NodeClosed(2, now: 10, lastHeard: 10);
        m.NodeRefused(2);
        m.Tick(11);
        Assert.False(m.View!.Skeen.TryGetReceiver(2, out _), $"kept node 2 though nothing listens there: {m.View}");
    }

    private const int ManagerC = 102;

    /// <summary>The sender id a coordinator gives a restarted manager C: a rank above every id in use.</summary>
    private const int NewSenderC = (1 << 16) | ManagerC;

    /// <summary>The view deposed coordinator A decided admitting the restarted manager C as a new sender.</summary>
    private static ClusterView AdmittingC => View(1, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB, NewSenderC], []);

    /// <summary>
    /// A node of view 0 that answered successor B's takeover query (a promise to refuse A's views), then got
    /// <see cref="AdmittingC"/> from C, and refused it.
    /// </summary>
    private static DataNodeMember<int> RefusedDeposedViewAdmittingC(DataNodeRecorder output)
    {
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerA, ManagerA);
        node.ManagerHello(ManagerB, ManagerB);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        node.ManagerClosed(ManagerA);
        node.Query(ManagerB, 7, [ManagerA]);
        node.ManagerConnected(ManagerC);
        node.ManagerHello(ManagerC, NewSenderC);
        node.ViewReceived(ManagerC, AdmittingC);
        return node;
    }

    [Fact]
    public void A_sender_admitted_only_by_a_deposed_coordinator_gets_no_proposal()
    {
        // Seeds 406693, 416859: the deposed coordinator A admitted the restarted manager C as a new sender. The node had
        // promised A's successor B to refuse A's views, and did, but took C's multicasts as coming from a newer view it had
        // not installed yet: they stayed pending (holding back every later delivery) since B's line never lists C.
        var output = new DataNodeRecorder();
        DataNodeMember<int> node = RefusedDeposedViewAdmittingC(output);
        Assert.Equal(TakeoverQuery.Refused, output.ViewReports[^1].QueryId);

        ReceiveOutcome outcome = node.Data(new DataMessage<int>(new MessageId(NewSenderC, 1), 1, 1, GroupSet.Of(0), 0, 42));

        Assert.Equal(ReceiveOutcome.StaleSender, outcome);
        Assert.Empty(output.Proposals);
        node.ViewReceived(ManagerB, View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]));
        Assert.True(node.IsServing);
        Assert.Equal(0, node.Skeen!.PendingCount);
    }

    [Fact]
    public void A_sender_whose_message_was_dropped_is_taken_again_only_from_that_message()
    {
        // Seeds 411139, 217711: the node refused the view admitting C and dropped C's message 1; the successor B then relayed
        // that view (it continues from it) and the node took C's message 2, still in flight. C's resend after syncing the
        // link again found message 1 below C's highest sequence, a duplicate never proposed: it stayed pending for good.
        // Since C's frames are dropped until C sends a view the node does not refuse, the gap matters once C relays B's
        // next view before it learns of the refusal: its message 3 follows, then the resend (the view again, 1, 2, 3).
        var output = new DataNodeRecorder();
        DataNodeMember<int> node = RefusedDeposedViewAdmittingC(output);
        Assert.Equal(ReceiveOutcome.StaleSender, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 1), 1, 1, GroupSet.Of(0), 0, 41)));
        node.ViewReceived(ManagerB, AdmittingC);
        Assert.True(node.Skeen!.View!.ContainsSender(NewSenderC), "the successor's relay of the view admitting C was not installed");
        Assert.Equal(ReceiveOutcome.StaleSender, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 2), 2, 1, GroupSet.Of(0), 0, 42)));
        ClusterView next = View(2, ManagerB, [Founder(1), Founder(2)], [ManagerB, NewSenderC], [ManagerA]);
        node.ViewReceived(ManagerC, next);
        Assert.Same(next, node.View);

        Assert.Equal(ReceiveOutcome.StaleSender, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 3), 3, 2, GroupSet.Of(0), 0, 43)));
        Assert.Equal(ReceiveOutcome.StaleSender, node.Marker(new EpochMarker(NewSenderC, 2)));
        Assert.Empty(output.Proposals);

        node.ViewReceived(ManagerC, next);
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 1), 1, 1, GroupSet.Of(0), 0, 41)));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 2), 2, 1, GroupSet.Of(0), 0, 42)));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 3), 3, 2, GroupSet.Of(0), 0, 43)));
        Assert.Equal(3, node.Skeen.PendingCount);
    }

    [Fact]
    public void A_manager_whose_relayed_view_was_refused_is_not_followed_until_it_syncs_again()
    {
        // Found by reading (issue 10): C relayed deposed coordinator A's view 1, which drops node 2; the node, promised to
        // successor B, refused it but went on taking C's Skeen frames, sent under that view. A final C computed without node
        // 2's proposal, or a multicast only this replica of the group proposes for, would be delivered here and nowhere in
        // B's line (where node 2 stays): the replicas would diverge. They are dropped until C sends a view the node does
        // not refuse (its link synced again, which resends them).
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        foreach (int m in new[] { ManagerA, ManagerB, ManagerC })
        {
            node.ManagerConnected(m);
            node.ManagerHello(m, m);
        }
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB, ManagerC], []));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(ManagerC, 1), 1, 0, GroupSet.Of(0), 0, 41)));
        node.ManagerClosed(ManagerA);
        node.Query(ManagerB, 7, [ManagerA]);
        ClusterView deposed = View(1, ManagerA, [Founder(1)], [ManagerA, ManagerB, ManagerC], []);
        node.ViewReceived(ManagerC, deposed);
        Assert.Equal((ManagerC, TakeoverQuery.Refused, deposed), output.ViewReports[^1]);

        Assert.Equal(ReceiveOutcome.StaleSender, node.Final(new FinalMessage(new MessageId(ManagerC, 1), 5, 1, 0)));
        Assert.Equal(ReceiveOutcome.StaleSender, node.Data(new DataMessage<int>(new MessageId(ManagerC, 2), 6, 1, GroupSet.Of(0), 0, 42)));
        Assert.Equal(ReceiveOutcome.StaleSender, node.Marker(new EpochMarker(ManagerC, 1)));
        ClusterView successor = View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB, ManagerC], [ManagerA]);
        node.ViewReceived(ManagerB, successor);
        Assert.Same(successor, node.View);
        Assert.Equal(ReceiveOutcome.StaleSender, node.Data(new DataMessage<int>(new MessageId(ManagerC, 3), 7, 1, GroupSet.Of(0), 0, 43)));
        Assert.Empty(output.Delivered);
        Assert.Single(output.Proposals);
        Assert.Equal(1, node.Skeen!.PendingCount);

        // C, synced again with a view of B's line, resends: finals the node may have missed, then data in order.
        node.ViewReceived(ManagerC, View(2, ManagerB, [Founder(1), Founder(2)], [ManagerB, ManagerC], [ManagerA]));
        Assert.Equal(ReceiveOutcome.Accepted, node.Final(new FinalMessage(new MessageId(ManagerC, 1), 5, 2, 0)));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(ManagerC, 2), 6, 1, GroupSet.Of(0), 0, 42)));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(ManagerC, 3), 7, 1, GroupSet.Of(0), 0, 43)));
        Assert.Equal([1L], output.Delivered.Select(d => d.Report.Id.Seq));
        Assert.Equal(2, node.Skeen.PendingCount);
    }

    [Fact]
    public void A_replica_holding_a_sender_its_successors_view_never_heard_of_starts_over()
    {
        // The same, at a node that had not promised: it installed A's view admitting C and holds C's multicast; B's view
        // of the same epoch knows nothing of C (neither live nor dead), so no orphan recovery would ever settle it.
        var output = new DataNodeRecorder();
        ulong next = 1001;
        var node = new DataNodeMember<int>(1, 0, () => next++, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        node.ManagerConnected(ManagerC);
        node.ManagerHello(ManagerA, ManagerA);
        node.ManagerHello(ManagerB, ManagerB);
        node.ManagerHello(ManagerC, NewSenderC);
        node.ViewReceived(ManagerA, View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));
        node.ViewReceived(ManagerC, View(1, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB, NewSenderC], []));
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(NewSenderC, 1), 1, 1, GroupSet.Of(0), 0, 42)));

        node.ViewReceived(ManagerB, View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]));

        Assert.NotEqual(1001UL, node.Life);
        Assert.Null(node.Skeen);
    }

    [Fact]
    public void A_replica_keeps_its_state_for_a_view_that_forgets_a_sender_it_took_nothing_from()
    {
        // Seed 137141: both managers restarted after B (sender 101) had taken over from A; each took over from view 1 and
        // decided a view 2, A's admitting A and B as 65636 and 131173, B's admitting B as 65637 (it won on coordinator id).
        // Node 1 installed B's; A's line went on to view 3, where nodes 2 and 3 (started over for B's view 2) joined from
        // node 1, and node 1 started over on it since it forgets 65637, though it held nothing of it: the group's last
        // state went with it, the joins aborted and every later view dropped the group's replicas.
        const int RestartedA = (1 << 16) | ManagerA, RestartedB = (1 << 16) | ManagerB, RestartedBOnALine = (2 << 16) | ManagerB;
        ClusterView v0 = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []);
        ClusterView v1 = View(1, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]);
        ClusterView bLine = View(2, RestartedB, [Founder(1), Founder(2)], [RestartedB], [ManagerA, ManagerB]);
        ClusterView aLine = View(3, RestartedA, [Founder(1), new ViewMember(2, 0, 3, 1)], [RestartedA, RestartedBOnALine], [ManagerA, ManagerB]);
        Assert.True(aLine.Supersedes(bLine));
        var output = new DataNodeRecorder();
        ulong next = 1001;
        var node = new DataNodeMember<int>(1, 0, () => next++, output, window: 8, Lease);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerB, ManagerB);
        node.ViewReceived(ManagerB, v0);
        node.ViewReceived(ManagerB, v1);
        Assert.Equal(ReceiveOutcome.Accepted, node.Data(new DataMessage<int>(new MessageId(ManagerB, 1), 1, 1, GroupSet.Of(0), 0, 7)));
        node.Final(new FinalMessage(new MessageId(ManagerB, 1), 2, 1, 0));
        node.ManagerClosed(ManagerB);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerB, RestartedB);
        node.ViewReceived(ManagerB, bLine);
        node.ManagerConnected(ManagerA);
        node.ManagerHello(ManagerA, RestartedA);

        node.ViewReceived(ManagerA, aLine);

        Assert.Equal(1001UL, node.Life);
        Assert.True(node.IsServing);
        Assert.Same(aLine, node.View);
        node.Marker(new EpochMarker(RestartedA, 3));
        node.Marker(new EpochMarker(RestartedBOnALine, 3));
        Assert.Equal([(2, 1002UL)], output.Pushes);
    }

    [Fact]
    public void A_data_node_that_refused_the_installed_view_is_synced_again()
    {
        // Seeds 202054, 303279 (found after read leases shifted the schedules): a data node refused a view a manager relayed
        // for a deposed coordinator and dropped that manager's multicasts; the link stayed synced, nothing was sent again,
        // and the multicasts waited for that node's proposals forever.
        var output = new ManagerRecorder();
        var m = new ManagerMembership(ManagerB, 2000 + ManagerB, [(1, 0), (2, 0)], [ManagerA, ManagerB], Grace, Lease, output);
        m.PeerConnected(ManagerA);
        ClusterView first = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []);
        m.PeerHello(ManagerA, ManagerA, 2000 + ManagerA, first);
        m.ViewReceived(View(1, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));

        m.ViewReport(1, TakeoverQuery.Refused, m.View);
        Assert.Equal([(1, false)], output.SyncsAgain);

        // Seed 415472: a refusal of an older view, arriving after the newer one was sent: the node may take the newer
        // one, but what came between was dropped and the link, synced, would never send it again.
        m.ViewReport(2, TakeoverQuery.Refused, first);
        Assert.Equal([(1, false), (2, true)], output.SyncsAgain);
        Assert.Empty(output.Exclusions);
    }

    [Fact]
    public void A_write_is_acknowledged_without_a_dropped_replica_only_once_the_others_hold_the_view_that_dropped_it()
    {
        // Seed 307173: coordinator A resumed from a pause after B had taken over, dropped node 2 in its own view 1 and
        // acknowledged a write node 1 had delivered. Node 1 never installed that view (it had promised B); B's line kept
        // node 2 and granted it leases, and node 2 served a read without the write. The write now waits until node 1
        // reports it installed A's view 1: a node that did answers B's query with it, one that promised B refuses it.
        var table = new WriteTable<string>(new WriteRecorder());
        var output = new ManagerRecorder { Writes = table };
        var m = BootedManager(output, nodes: [1, 2]);
        ClusterView boot = m.View!;
        Assert.Equal([(0, true)], output.Holds);
        m.ViewReport(1, TakeoverQuery.Installed, boot);
        m.ViewReport(2, TakeoverQuery.Installed, boot);
        Assert.Equal((0, false), output.Holds[^1]);
        table.Add(1, 0, "w", boot.Skeen.MembersOf(0));
        table.Finalized(1);
        table.Delivered(1, 1, 0, new DeliveryReport(new MessageId(ManagerA, 1), DeliveryStatus.Applied, 1, 1));

        m.NodeClosed(2, now: 10, lastHeard: 10);
        m.Tick(10 + Grace);
        ClusterView dropped = m.View!;
        Assert.False(dropped.Skeen.TryGetReceiver(2, out _));
        Assert.Equal(0, table.CompletedCount);

        // The successor's view of the same epoch, installed at node 1 instead, confirms nothing here.
        m.ViewReport(1, TakeoverQuery.Installed, View(dropped.Epoch, ManagerB, [Founder(1), Founder(2)], [ManagerB], [ManagerA]));
        Assert.Equal(0, table.CompletedCount);

        m.ViewReport(1, TakeoverQuery.Installed, dropped);
        Assert.Equal(1, table.CompletedCount);
    }

    [Fact]
    public void A_replica_reports_each_view_it_installs_and_again_on_a_managers_hello()
    {
        var output = new DataNodeRecorder();
        var node = new DataNodeMember<int>(1, 0, () => 1001, output, window: 8, Lease);
        node.ManagerConnected(ManagerA);
        node.ManagerConnected(ManagerB);
        ClusterView v0 = View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []);
        node.ViewReceived(ManagerA, v0);
        Assert.Equal([(ManagerA, v0), (ManagerB, v0)], output.ViewReports.Where(r => r.QueryId == TakeoverQuery.Installed).Select(r => (r.Manager, r.View!)));

        output.ViewReports.Clear();
        node.ManagerClosed(ManagerB);
        node.ManagerConnected(ManagerB);
        node.ManagerHello(ManagerB, ManagerB);
        Assert.Equal((ManagerB, TakeoverQuery.Installed, v0), Assert.Single(output.ViewReports));

        // A view that drops this life is not reported: the node starts over and confirms nothing until admitted again.
        output.ViewReports.Clear();
        node.ViewReceived(ManagerA, View(1, ManagerA, [Founder(2)], [ManagerA, ManagerB], []));
        Assert.Empty(output.ViewReports);
    }

    [Fact]
    public void A_restarted_manager_whose_first_view_comes_in_a_peers_hello_takes_over()
    {
        // Seed 103126 (the 20,000-seed campaign on confirmed views): both managers restarted; A learnt view 0 from B's
        // hello on the connection B dialed, every sender of it being dead, and waited for an input that never came; B,
        // coordinating, waited for the lower unadmitted A.
        var output = new ManagerRecorder();
        var m = new ManagerMembership(ManagerA, 3000 + ManagerA, [(1, 0), (2, 0)], [ManagerA, ManagerB], Grace, Lease, output);
        foreach (int n in new[] { 1, 2 })
        {
            m.NodeConnected(n);
            m.NodeStatusReceived(n, new NodeStatus((ulong)(1000 + n), NodePhase.Serving, 0, 0, 0, 0));
        }
        m.PeerConnected(ManagerB);
        m.PeerHello(ManagerB, -1, 3000 + ManagerB, null);
        Assert.DoesNotContain(output.Queries, q => q.Id != 0);

        m.ViewReceived(View(0, ManagerA, [Founder(1), Founder(2)], [ManagerA, ManagerB], []));

        Assert.Contains(output.Queries, q => q.Node == 1 && q.Id != 0);
    }

    private static ManagerMembership BootedManager(ManagerRecorder output, int[] nodes)
    {
        var m = new ManagerMembership(ManagerA, 2000 + ManagerA, nodes.Select(n => (n, 0)), [ManagerA, ManagerB], Grace, Lease, output);
        foreach (int n in nodes)
        {
            m.NodeConnected(n);
            m.NodeStatusReceived(n, new NodeStatus((ulong)(1000 + n), NodePhase.Fresh, -1, -1, 0, 0));
        }
        m.PeerConnected(ManagerB);
        m.PeerHello(ManagerB, -1, 2000 + ManagerB, null);
        Assert.NotNull(m.View);
        foreach (int n in nodes) m.NodeStatusReceived(n, new NodeStatus((ulong)(1000 + n), NodePhase.Serving, 0, 0, 0, 0));
        return m;
    }

    private sealed class ManagerRecorder : IManagerMembershipOutput
    {
        public List<ClusterView> Views { get; } = [];
        public List<(int Node, RecoveryDecision Decision)> Verdicts { get; } = [];
        public List<(int Node, ClusterView View)> Fences { get; } = [];
        public List<(int Node, ulong Id)> Queries { get; } = [];
        public List<(int Group, bool Hold)> Holds { get; } = [];

        public void SendHello(int node, bool toManager, int sender, ClusterView? view)
        {
        }

        public void SendView(int manager, ClusterView view)
        {
        }

        public void Fence(int node, ClusterView view) => Fences.Add((node, view));

        public void SendQuery(int node, bool toManager, ulong queryId, int[] deadSenders) => Queries.Add((node, queryId));

        public void SendVerdicts(int node, RecoveryDecision decision) => Verdicts.Add((node, decision));

        public List<(int Node, bool Now)> SyncsAgain { get; } = [];

        public void SyncAgain(int node, bool now) => SyncsAgain.Add((node, now));

        public void Installed(ClusterView view, int admittedAs)
        {
            Views.Add(view);
            Writes?.Settle(view.Skeen);
        }

        public List<string> Exclusions { get; } = [];

        public void Excluded(string reason) => Exclusions.Add(reason);

        /// <summary>The writes this manager holds and releases, as the adapters wire them (null: none).</summary>
        public WriteTable<string>? Writes { get; init; }

        public void HoldWrites(int group, bool hold)
        {
            Holds.Add((group, hold));
            if (hold) Writes?.Hold(group);
            else Writes?.Release(group);
        }

        public void Wake(long time)
        {
        }

        public void Log(string message, bool warning)
        {
        }
    }

    private sealed class DataNodeRecorder : IDataNodeOutput<int>
    {
        public List<(int Manager, OrphanReport Report)> Reports { get; } = [];

        public List<(int Manager, DeliveryReport Report)> Delivered { get; } = [];

        public List<int> Proposals { get; } = [];

        public void SendStatus(int manager)
        {
        }

        public void SendProposal(int manager, in ProposalMessage proposal) => Proposals.Add(manager);

        public void SendOrphanReport(int manager, OrphanReport report) => Reports.Add((manager, report));

        public List<(int Manager, ulong QueryId, ClusterView? View)> ViewReports { get; } = [];

        public void SendViewReport(int manager, ulong queryId, ClusterView? view) => ViewReports.Add((manager, queryId, view));

        public List<(int Manager, ulong Life)> LeaseRequests { get; } = [];

        public void RequestLease(int manager, ulong life) => LeaseRequests.Add((manager, life));

        public void Admitted(long incarnation, int donor)
        {
        }

        public DeliveryReport Deliver(MessageId id, long timestamp, int payload) => new(id, DeliveryStatus.Applied, payload, timestamp);

        public void Discard(MessageId id, int payload, DiscardReason reason)
        {
        }

        public void SendDelivered(int manager, in DeliveryReport report) => Delivered.Add((manager, report));

        public List<(int Joiner, ulong Life)> Pushes { get; } = [];
        public List<long> Wakes { get; } = [];

        public void TransferReady(int joiner, ulong joinerLife, SkeenTransfer transfer) => Pushes.Add((joiner, joinerLife));

        public void Wake(long time) => Wakes.Add(time);

        public void Serving()
        {
        }

        public void StartedOver(string reason)
        {
        }

        public void Log(string message, bool warning)
        {
        }
    }

    private sealed class WriteRecorder : IWriteTableOutput<string>
    {
        public void Completed(string tag, int group, in WriteResult result)
        {
        }

        public void Diverged(int group, in DeliveryReport first, in DeliveryReport other)
        {
        }
    }
}
