using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>The recovery rules on hand-made reports: what is lost, who is stale, what rolls forward, who answers the cut.</summary>
public class RecoveryPlannerTests
{
    private static readonly long L1 = RecoveryPlanner.MakeLife(1, 7), L2 = RecoveryPlanner.MakeLife(2, 9);

    private static PrimaryView Held(long life, long seq, bool serving = false, long retainedFrom = 1) =>
        new(true, life, seq, (int)seq, serving, retainedFrom);

    private static BackupReport Report(int backup, params PrimaryView[] views) => new(backup, views.All(v => v.Loaded), views);

    [Fact]
    public void A_new_cluster_starts_fresh_only_when_every_backup_answered()
    {
        var empty = new PrimaryView(false, 0, 0, 0, false, 1);
        Assert.Equal(PlanKind.Fresh, RecoveryPlanner.Plan([Report(0, empty), Report(1, empty)], 0, 1, 2).Kind);
        RecoveryPlan partial = RecoveryPlanner.Plan([Report(0, empty)], 0, 1, 2);
        Assert.Equal(PlanKind.Wait, partial.Kind);
        Assert.Contains("only 1 of 2", partial.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backup_in_an_older_life_is_stale_even_with_a_higher_seq()
    {
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, Held(L2, 5)), Report(1, Held(L1, 9))], 0, 1, 2);
        Assert.Equal(PlanKind.Cut, plan.Kind);
        Assert.Equal([0], plan.Chosen);
        Assert.Equal([0], plan.Current);
        Assert.Equal((L2, 5L), (plan.BasisLife, plan.BasisSeq));
        Assert.Equal(3, plan.NextLifeCounter);
    }

    [Fact]
    public void A_lagging_backup_in_the_current_life_rolls_forward_from_retained_deltas()
    {
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, Held(L1, 5, retainedFrom: 3)), Report(1, Held(L1, 3))], 0, 1, 2);
        Assert.Equal(PlanKind.Reconcile, plan.Kind);
        Assert.Equal([new ReconcileStep(0, 0, 1, 3, 5, L1)], plan.Steps);
    }

    [Fact]
    public void A_backup_lagging_past_what_is_retained_is_stale_and_left_out()
    {
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, Held(L1, 9, retainedFrom: 8)), Report(1, Held(L1, 3))], 0, 1, 2);
        Assert.Equal(PlanKind.Cut, plan.Kind);
        Assert.Equal([0], plan.Chosen);
        Assert.DoesNotContain(1, plan.Current);
    }

    [Fact]
    public void A_recovery_that_waits_names_the_backup_still_re_encoding()
    {
        PrimaryView p0 = Held(L1, 4), p1 = Held(L1, 6), serving = Held(L1, 2, serving: true), missing = new(false, 0, 0, 0, false, 1);
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, p0, p1, serving), Report(1, missing, missing, serving)], 0, 3, 2);
        Assert.Equal(PlanKind.Wait, plan.Kind);
        Assert.Contains("backup 1 is incomplete (re-encoding)", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_lost_primaries_need_two_backups_current_on_both()
    {
        PrimaryView p0 = Held(L1, 4), p1 = Held(L1, 6), serving = Held(L1, 2, serving: true);
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, p0, p1, serving), Report(1, p0, Held(L2, 1), serving)], 0, 3, 2);
        Assert.Equal(PlanKind.Wait, plan.Kind);
        Assert.Contains("only 1 complete", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("backup 0 holds primary 1 in an older life", plan.Reason, StringComparison.Ordinal);
        RecoveryPlan both = RecoveryPlanner.Plan([Report(0, p0, p1, serving), Report(1, p0, p1, serving)], 0, 3, 2);
        Assert.Equal(PlanKind.Cut, both.Kind);
        Assert.Equal([0, 1], both.Lost);
        Assert.Equal([0, 1], both.Chosen);
    }

    [Fact]
    public void A_backup_stale_on_one_lost_primary_still_sources_the_roll_forward_of_another()
    {
        // Simulation seed 94455: backup 0 missed primary 0's last delta in flight; backup 1, suspected by primary 1
        // while paused, lags on it past what is retained. Backup 1's deltas of primary 0 are primary 0's history all
        // the same: rolling backup 0 forward from them leaves backups 0 and 2 current on both lost primaries.
        PrimaryView serving = Held(L1, 2, serving: true);
        BackupReport[] reports =
        [
            Report(0, Held(L1, 4, retainedFrom: 4), Held(L1, 12, retainedFrom: 12), serving),
            Report(1, Held(L1, 5, retainedFrom: 5), Held(L1, 9, retainedFrom: 9), serving),
            Report(2, Held(L1, 5, retainedFrom: 5), Held(L1, 12, retainedFrom: 12), serving),
        ];
        RecoveryPlan plan = RecoveryPlanner.Plan(reports, 0, 3, 3);
        Assert.Equal(PlanKind.Reconcile, plan.Kind);
        Assert.Equal([new ReconcileStep(0, 1, 0, 4, 5, L1)], plan.Steps);
        reports[0] = Report(0, Held(L1, 5, retainedFrom: 4), Held(L1, 12, retainedFrom: 12), serving);
        RecoveryPlan cut = RecoveryPlanner.Plan(reports, 0, 3, 3);
        Assert.Equal(PlanKind.Cut, cut.Kind);
        Assert.Equal([0, 2], cut.Chosen);
    }

    // Primaries 0 and 1 are lost, 2 serves; the two backups differ only in what they hold of primary 1.
    private static RecoveryPlan PlanWithPrimary1As(PrimaryView atBackup0, PrimaryView atBackup1)
    {
        PrimaryView serving = Held(L1, 2, serving: true);
        return RecoveryPlanner.Plan([Report(0, Held(L1, 4), atBackup0, serving), Report(1, Held(L1, 4), atBackup1, serving)], 0, 3, 2);
    }

    private static readonly PrimaryView RebuiltFromL1Seq5 = Held(L2, 6, retainedFrom: 6) with { BasisLife = L1, BasisSeq = 5 };

    [Fact]
    public void A_backup_at_the_basis_of_the_current_life_adopts_it_and_rolls_forward()
    {
        RecoveryPlan plan = PlanWithPrimary1As(Held(L1, 5), RebuiltFromL1Seq5);
        Assert.Equal(PlanKind.Reconcile, plan.Kind);
        Assert.Equal([new ReconcileStep(1, 1, 0, 5, 6, L2, AdoptFrom: L1)], plan.Steps);
    }

    [Fact]
    public void A_backup_at_the_basis_adopts_the_life_even_with_nothing_to_roll_forward()
    {
        RecoveryPlan plan = PlanWithPrimary1As(Held(L1, 5), Held(L2, 5, retainedFrom: 6) with { BasisLife = L1, BasisSeq = 5 });
        Assert.Equal([new ReconcileStep(1, 1, 0, 5, 5, L2, AdoptFrom: L1)], plan.Steps);
    }

    [Fact]
    public void An_older_life_off_the_basis_stays_stale()
    {
        // Seq 4 of the basis life is not the basis: the new life was rebuilt from seq 5, which this backup never took.
        RecoveryPlan behind = PlanWithPrimary1As(Held(L1, 4), RebuiltFromL1Seq5);
        Assert.Equal(PlanKind.Wait, behind.Kind);
        Assert.Contains("backup 0 holds primary 1 in an older life", behind.Reason, StringComparison.Ordinal);
        // The deltas after the basis are no longer retained: adopting would leave a gap.
        Assert.Equal(PlanKind.Wait, PlanWithPrimary1As(Held(L1, 5), RebuiltFromL1Seq5 with { RetainedFrom = 7 }).Kind);
    }

    [Fact]
    public void A_primary_still_counted_as_serving_waits()
    {
        RecoveryPlan plan = RecoveryPlanner.Plan([Report(0, Held(L1, 4, serving: true))], 0, 1, 1);
        Assert.Equal(PlanKind.Wait, plan.Kind);
    }
}
