using BitFusion.Core.Replication;
using Xunit.Abstractions;

namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// The replication cluster's machines under the whole fault model, seed by seed (see <see cref="ClusterSimulation"/>).
/// A failure message starts with the seed; replay it with <c>new ClusterSimulation(seed, options).Run()</c>. More seeds:
/// <c>BITFUSION_SIM_SEEDS=100000 dotnet test tests/BitFusion.Core.Tests -c Release --filter ClusterSimulationTests</c>.
/// </summary>
public class ClusterSimulationTests(ITestOutputHelper output)
{
    private static int Scale(int seeds) =>
        int.TryParse(Environment.GetEnvironmentVariable("BITFUSION_SIM_SEEDS"), out int n) && n > 0 ? Math.Max(seeds, n / 5) : seeds;

    private ClusterSimStats RunSeeds(int firstSeed, int count, Func<Random, ClusterSimOptions> shape)
    {
        var total = new ClusterSimStats();
        var failures = new List<string>();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var sim = new ClusterSimulation(seed, shape(new Random(~seed)));
            if (sim.Run() is { } failure) failures.Add(failure);
            else total.Add(sim.Stats);
        }
        output.WriteLine($"seeds {firstSeed}..{firstSeed + count - 1}: {total}");
        // A campaign runs on past a failure, so one run names every failing seed; the first failure comes with its trace.
        Assert.True(failures.Count == 0,
            $"{failures.Count} seeds failed: {string.Join(", ", failures.Select(f => f[5..f.IndexOf(' ', 5)]))}\n" +
            $"{string.Join('\n', failures.Skip(1).Select(f => f[..f.IndexOf('\n')]))}\n{failures.FirstOrDefault()}");
        return total;
    }

    private static ClusterSimOptions NodeCrashShape(Random r) => new(
        Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(2, 4), Managers: r.Next(1, 4), Writes: r.Next(20, 60), Reads: 20,
        NodeCrashes: r.Next(1, 4));

    private static ClusterSimOptions ManagerCrashShape(Random r) => new(
        Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(2, 4), Managers: r.Next(2, 4), Writes: r.Next(20, 60), Reads: 20,
        ManagerCrashes: r.Next(1, 3));

    private static ClusterSimOptions OverlapShape(Random r) => new(
        Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(2, 4), Managers: r.Next(2, 4), Writes: r.Next(20, 60), Reads: 20,
        NodeCrashes: r.Next(1, 4), ManagerCrashes: r.Next(1, 3));

    private static ClusterSimOptions PauseShape(Random r) => new(
        Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(2, 4), Managers: r.Next(1, 4), Writes: r.Next(20, 60), Reads: 20,
        Pauses: r.Next(1, 4), LinkDrops: r.Next(1, 4));

    private static ClusterSimOptions EveryFaultShape(Random r) => new(
        Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(2, 4), Managers: r.Next(2, 4), Writes: r.Next(20, 60), Reads: 20,
        NodeCrashes: r.Next(0, 3), ManagerCrashes: r.Next(0, 2), Pauses: r.Next(0, 3), LinkDrops: r.Next(0, 3));

    /// <summary>The run a campaign seed names: its shape comes from the range it lies in, as in the tests below.</summary>
    private static string? Replay(int seed)
    {
        Func<Random, ClusterSimOptions> shape = seed switch
        {
            >= 400_001 => EveryFaultShape,
            >= 300_001 => PauseShape,
            >= 200_001 => OverlapShape,
            >= 100_001 => ManagerCrashShape,
            _ => NodeCrashShape,
        };
        return new ClusterSimulation(seed, shape(new Random(~seed))).Run();
    }

    [Fact]
    public void Data_nodes_crash_and_rejoin_while_managers_write()
    {
        ClusterSimStats stats = RunSeeds(1, Scale(500), NodeCrashShape);
        Assert.True(stats.Rejoins > 500 && stats.Acknowledged > 10_000, stats.ToString());
    }

    [Fact]
    public void Managers_crash_the_coordinator_included()
    {
        ClusterSimStats stats = RunSeeds(100_001, Scale(500), ManagerCrashShape);
        Assert.True(stats.CoordinatorCrashes > 100 && stats.OrphanReports > 500, stats.ToString());
    }

    [Fact]
    public void Node_rejoins_overlap_manager_crashes()
    {
        ClusterSimStats stats = RunSeeds(200_001, Scale(500), OverlapShape);
        Assert.True(stats.Rejoins > 300 && stats.CoordinatorCrashes > 100, stats.ToString());
    }

    [Fact]
    public void Pauses_and_dropped_connections()
    {
        ClusterSimStats stats = RunSeeds(300_001, Scale(500), PauseShape);
        Assert.True(stats.Suspicions > 200 && stats.LinkDrops > 500, stats.ToString());
    }

    [Fact]
    public void Every_fault_at_once()
    {
        ClusterSimStats stats = RunSeeds(400_001, Scale(500), EveryFaultShape);
        Assert.True(stats.Rejoins > 100 && stats.ManagerCrashes > 100 && stats.Suspicions > 100, stats.ToString());
    }

    /// <summary>
    /// Seed 400343: the coordinator pauses past suspectAfter while data nodes crash; it and its successor both decide a view
    /// of the same epoch, and a replica that installed the deposed coordinator's view started over when the successor's
    /// replaced it, until its group had no replica left (seed 400115 showed it before reads were relayed).
    /// </summary>
    [Fact]
    public void The_last_replica_does_not_start_over_for_a_deposed_coordinators_view()
    {
        var sim = new ClusterSimulation(400_343, new ClusterSimOptions(Groups: 2, ReplicasPerGroup: 2, Managers: 2, Writes: 26, Reads: 20,
            NodeCrashes: 2, Pauses: 2, LinkDrops: 2));
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
    }

    /// <summary>
    /// Seed 403173 (found by the 100,000-seed campaign after the fix above): both coordinators admitted a restarted data node
    /// in views of the same epoch, with different donors; replacing the deposed view kept the joiner waiting for the old
    /// donor's state, which never came. A replica keeps its state across the replacement only when every member is unchanged.
    /// </summary>
    [Fact]
    public void A_joiner_whose_donor_differs_in_the_successors_view_joins_again()
    {
        var sim = new ClusterSimulation(403_173, new ClusterSimOptions(Groups: 1, ReplicasPerGroup: 3, Managers: 3, Writes: 27, Reads: 20,
            NodeCrashes: 1, Pauses: 2, LinkDrops: 1));
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
    }

    /// <summary>
    /// Seeds 103800 and 401283: both managers crash and restart; neither is a sender any more, so before the fix each took
    /// over, decided a view 1 (2 in the second seed) admitting itself, and the replicas that installed the losing one started over.
    /// </summary>
    [Theory]
    [InlineData(103_800, 2, 3, 2, 25, 0, 2, 0, 0)]
    [InlineData(401_283, 2, 2, 2, 51, 0, 1, 2, 1)]
    public void Managers_restarted_together_do_not_both_take_over(int seed, int groups, int replicas, int managers, int writes,
        int nodeCrashes, int managerCrashes, int pauses, int linkDrops)
    {
        var sim = new ClusterSimulation(seed, new ClusterSimOptions(groups, replicas, managers, writes, Reads: 20,
            NodeCrashes: nodeCrashes, ManagerCrashes: managerCrashes, Pauses: pauses, LinkDrops: linkDrops));
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
    }

    // Failures the 100,000-seed campaign (BITFUSION_SIM_SEEDS=100000) found, all beyond the CI's 500 seeds per shape.

    /// <summary>
    /// Seeds 19846 and 204144: a replica delivered a write one place early (a multicast it had not finalised was later
    /// finalised without it) and died; the other destination died before its report arrived; the manager acknowledged the
    /// dead replica's position. A departed destination's report no longer decides (<see cref="WriteTable{TTag}"/>).
    /// </summary>
    [Theory]
    [InlineData(19_846)]
    [InlineData(204_144)]
    public void Acknowledged_positions_hold(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// A replica excluded while paused served, once resumed, a read relayed by a manager that had not installed the
    /// exclusion, and missed a write acknowledged meanwhile. Fixed with read leases (<see cref="ReadLease"/>; unit tests in
    /// <see cref="MembershipRegressionTests"/>).
    /// </summary>
    [Theory]
    [InlineData(306_086)]
    [InlineData(306_330)]
    [InlineData(307_611)]
    [InlineData(318_369)]
    [InlineData(411_947)]
    public void No_stale_read_from_a_replica_that_has_not_learnt_its_exclusion(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Found by the 100,000-seed campaign after the takeover promise: the deposed coordinator admitted a restarted manager as
    /// a new sender; the data nodes refused that view but took the new sender's multicasts as coming from a newer view, and
    /// the successor never listed that sender, so they stayed pending. A data node now takes Skeen's messages only from a
    /// sender of its installed view, and starts over when a view replaces one with a sender it neither lists nor knows as
    /// dead (unit tests in <see cref="MembershipRegressionTests"/>). Both seeds passed already once read leases shifted their
    /// schedules; the unit tests fail without the fix.
    /// </summary>
    [Theory]
    [InlineData(406_693)]
    [InlineData(416_859)]
    public void A_sender_admitted_only_by_a_deposed_coordinator_leaves_nothing_pending(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Found by the 20,000-seed campaign on the read-lease change (its frames shifted the schedules): a data node refused a
    /// view a manager relayed for a deposed coordinator, so it had no receiver yet (or a refused view) when that manager's
    /// multicasts came; the manager's link stayed "synced" and never sent them again, and the multicasts waited for the
    /// node's proposal forever (traced in 202054 and 303279). A refusal of the view a link was synced with now makes the
    /// manager sync it again (view, then Skeen's resend) with the next view it installs; 415472 (the 100,000-seed campaign
    /// after that fix): the refusal of an older view came after the newer one was sent, and what was sent between was
    /// dropped, so such a refusal makes the manager sync the link again at once (109733, from the same campaign, passes
    /// with it too; not traced).
    /// </summary>
    [Theory]
    [InlineData(202_054)]
    [InlineData(303_279)]
    [InlineData(403_236)]
    [InlineData(415_472)]
    [InlineData(109_733)]
    public void A_refused_view_leaves_no_multicast_waiting_on_that_node(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Found by the 100,000-seed campaign on read leases: coordinator 100 resumed from a pause after manager 101 had taken
    /// over, dropped node 1 in its own (deposed) view 1 and acknowledged a write node 2 had delivered, though node 2 never
    /// installed that view (100's connections had been closed for its silence, and node 2 had answered 101's takeover query); 101's line kept node 1 and granted it
    /// leases, and node 1 served a read before the write (settled by 101's orphan recovery of sender 100) reached it. A
    /// manager now completes a write to a group its view changed only once every replica of the group in that view
    /// confirmed installing it (unit test in <see cref="MembershipRegressionTests"/>).
    /// </summary>
    [Theory]
    [InlineData(307_173)]
    public void No_stale_read_after_a_write_a_deposed_coordinator_acknowledged(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Two managers each took the other for dead across pauses and decided views of the same epoch removing each other; the
    /// replicas that installed the deposed coordinator's view started over when the successor's replaced it, and a group
    /// could lose every replica. Fixed by making an answer to a takeover query a promise: the data node refuses every view
    /// the deposed senders send it from then on, and their views relayed by a manager other than the successor (seed
    /// 311368), and a coordinator whose view is refused exits (<see cref="TakeoverQuery"/>; unit tests in
    /// <see cref="MembershipRegressionTests"/>).
    /// </summary>
    [Theory]
    [InlineData(306_986)]
    [InlineData(310_772)]
    [InlineData(311_368)]
    [InlineData(313_966)]
    [InlineData(317_494)]
    [InlineData(415_460)]
    public void Mutual_suspicion_across_pauses_keeps_a_replica(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Operations left unfinished after pauses and manager crashes; in every seed traced, a deposed coordinator went on
    /// deciding views. 418964: it ran ahead to view 3 and admitted a restarted node that the successor's lower views could not reach
    /// (a view listing the other's coordinator as dead now wins whatever its epoch, <see cref="ClusterView.Supersedes"/>);
    /// 413194: the nodes ignored the deposed coordinator's views as older, so it never learnt it was deposed and waited on
    /// its multicasts (a promised node refuses them before comparing). 400467 failed on the first version of the promise,
    /// which also refused the deposed coordinator's old views when its successor relayed them (a joiner then lost the
    /// successor's data for the view it refused). 313691 and 410956 failed in the campaign on a version where managers
    /// promised too (one ignored its live coordinator's views for good after the successor gave up its takeover). 103126
    /// (the 20,000-seed campaign on confirmed views, whose reports shifted its schedule): both managers restarted; the lower
    /// one learnt its first view from the other's hello and never weighed its role again, so neither decided a view.
    /// 411139 and 217711 (the 100,000-seed campaign on confirmed views; both passed on the version before it, whose
    /// schedule differed): a data node dropped a sender's messages as from a sender missing from its view (it had refused
    /// the view admitting it), then installed a view admitting it and took that sender's next message, still in flight;
    /// the resend after the link was synced again found the dropped ones below its highest sequence, duplicates never
    /// proposed, so they stayed pending for ever on the other replicas. The node now drops a sender's later messages too
    /// until the first one dropped comes again.
    /// </summary>
    [Theory]
    [InlineData(319_040)]
    [InlineData(411_448)]
    [InlineData(413_194)]
    [InlineData(414_279)]
    [InlineData(417_232)]
    [InlineData(418_964)]
    [InlineData(400_467)]
    [InlineData(313_691)]
    [InlineData(410_956)]
    [InlineData(103_126)]
    [InlineData(411_139)]
    [InlineData(217_711)]
    public void Every_operation_completes_after_pauses_and_manager_crashes(int seed) => Assert.Null(Replay(seed));

    /// <summary>
    /// Found by the 200,000-seed campaign after the fix of 411139/217711 (it failed on 2ea5a26 too, before confirmed views):
    /// both managers restarted after the second had taken over, and each took over from view 1 and decided its own view 2
    /// (manager 100 admitting itself as 65636 and 101 as 131173, manager 101 itself as 65637). Nodes 2 and 3, holding
    /// 100's, started over for 101's (it wins on coordinator id); node 1 installed 101's; 100's line went on to views 3
    /// and 4, where 2 and 3 joined from node 1, and node 1 started over on view 3 because it forgets sender 65637, though it
    /// held nothing of 65637's: the group's last state went with it, the joins aborted, and views 7 to 9 dropped every
    /// replica. A replica now starts over for a forgotten sender only when it took messages of it (unit test in
    /// <see cref="MembershipRegressionTests"/>).
    /// </summary>
    [Theory]
    [InlineData(137_141)]
    public void A_group_keeps_a_replica_when_managers_restart(int seed) => Assert.Null(Replay(seed));
}
