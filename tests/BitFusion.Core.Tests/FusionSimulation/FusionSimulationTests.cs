using Xunit.Abstractions;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// The whole fusion cluster under the fault model, one seed per run. CI runs the seeds below; set
/// BITFUSION_FUSION_SEEDS (e.g. 100000) to run that many instead, BITFUSION_FUSION_FIRST_SEED to start a campaign
/// elsewhere than seed 1 (to run one in parts), BITFUSION_FUSION_MAX_FAILURES to list more than the first 3 failures,
/// and BITFUSION_FUSION_SEED to replay one.
/// </summary>
public class FusionSimulationTests(ITestOutputHelper output)
{
    private const int CiSeeds = 2000;

    [Fact]
    public void Every_seed_keeps_acknowledged_writes_settles_and_decodes()
    {
        int count = Setting("BITFUSION_FUSION_SEEDS", CiSeeds), first = Setting("BITFUSION_FUSION_FIRST_SEED", 1), maxFailures = Setting("BITFUSION_FUSION_MAX_FAILURES", 3);
        long events = 0, transfers = 0, multiChunk = 0, abandoned = 0, overtaking = 0, losses = 0, lostWrites = 0, overBudget = 0, hangs = 0;
        var failures = new List<string>();
        for (int seed = first; seed < first + count && failures.Count < maxFailures; seed++)
        {
            var sim = new FusionSimulation(seed, FusionSimOptions.Random(new Random(~seed)));
            if (sim.Run() is { } failure) failures.Add(failure);
            events += sim.Events;
            (transfers, multiChunk, abandoned) = (transfers + sim.ChunkedTransfers, multiChunk + sim.MultiChunkTransfers, abandoned + sim.AbandonedTransfers);
            overtaking += sim.OvertakingDeltas;
            (losses, lostWrites) = (losses + sim.PermittedLosses, lostWrites + sim.LostAckedWrites);
            if (sim.OverBudget > 0) overBudget++;
            hangs += sim.PermittedHangs;
        }
        output.WriteLine($"{count} seeds from {first}, {events} events; {transfers} whole-list transfers, {multiChunk} of several chunks, {abandoned} cut short by a fault; {overtaking} deltas overtook their primary's snapshot for a cut");
        output.WriteLine($"{overBudget} seeds (all with minAckBackups < f) went past f faults as the fault model counts them; {losses} recoveries there lost {lostWrites} acknowledged writes and {hangs} ended waiting for lists no longer held, as that setting allows");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // The chunked paths ran, and faults landed mid-transfer: a budget where neither happens tests nothing about them.
        Assert.True(count < 100 || (multiChunk > 0 && abandoned > 0), $"{multiChunk} multi-chunk transfers and {abandoned} cut short over {count} seeds");
        // A survivor's deltas overtook its cut snapshot: the backup folded the chunks in around deltas it had applied.
        Assert.True(count < 100 || overtaking > 0, $"no delta overtook a cut's snapshot over {count} seeds");
    }

    /// <summary>
    /// Found by the 100,000-seed campaign (BITFUSION_FUSION_SEEDS=100000), beyond the CI's seeds: a primary crashed
    /// right after its recovery, before its Serving (or its snapshot) reached every backup, so the backups held it in
    /// the new life and in the life it was rebuilt from, at the same list. With a second primary down, fewer than |L|
    /// backups were current on both, no primary was left to re-encode the others, and every recovery waited for
    /// ever (11 of main's 17 failures in 200,000 seeds). A backup at exactly the basis of the current life now adopts it
    /// (<see cref="Core.Fusion.Roles.RecoveryPlanner"/>). Seed 17339 failed only with a first version of that fix: another
    /// primary's recovery moved a backup into the life whose own Serving was still on the way, and the backup re-encoded.
    /// </summary>
    [Theory]
    [InlineData(17_339)]
    [InlineData(34_888)]
    [InlineData(51_335)]
    [InlineData(58_070)]
    [InlineData(64_123)]
    [InlineData(80_717)]
    [InlineData(89_908)]
    [InlineData(103_413)]
    [InlineData(103_939)]
    [InlineData(108_305)]
    [InlineData(139_701)]
    [InlineData(144_182)]
    public void A_backup_left_at_the_basis_of_a_new_life_adopts_it(int seed) => Assert.Null(Run(seed));

    /// <summary>
    /// Found by the same campaign: two primaries down; one backup missed the first one's last delta in flight, another
    /// had been suspected by the second one (paused) and lags on it past what is retained. The planner picked that
    /// stale backup as the source of the missing delta and then dropped the roll-forward, since it refused stale
    /// sources: only one backup stayed current on both, and every recovery waited for ever. A source need only be
    /// current on the primary it forwards (<see cref="Core.Fusion.Roles.RecoveryPlanner"/>).
    /// </summary>
    [Theory]
    [InlineData(94_455)]
    [InlineData(188_648)]
    public void A_backup_stale_on_one_lost_primary_sources_the_roll_forward_of_another(int seed) => Assert.Null(Run(seed));

    /// <summary>
    /// Found by the same campaign: a primary re-linked after a dropped connection, and its Attach (with the seq of that
    /// moment) reached a backup already further on in the same life; the backup did not count it as serving, and the
    /// primary resent deltas to it anyway ("sent delta N before it was serving"). It now attaches again with its seq.
    /// </summary>
    [Theory]
    [InlineData(100_630)]
    [InlineData(179_449)]
    public void No_delta_reaches_a_backup_before_its_primary_serves_there(int seed) => Assert.Null(Run(seed));

    /// <summary>
    /// Found by the same campaign, with minAckBackups 1 &lt; f = 2: a backup suspected while paused came back, its
    /// primary streamed to it again and resent what it missed, and before the resend arrived that primary and the one
    /// backup that had acknowledged those writes crashed. The nemesis saw two faults; the fault model counts three (a
    /// backup is failed until it is caught up), which minAckBackups below f allows. The checker now counts the budget
    /// so: the writes acknowledged while it exceeded f are forfeited, and the loss is counted, not failed.
    /// </summary>
    [Theory]
    [InlineData(96_156)]
    [InlineData(111_042)]
    public void Writes_acknowledged_below_f_backups_are_judged_by_the_documented_tolerance(int seed)
    {
        var sim = new FusionSimulation(seed, FusionSimOptions.Random(new Random(~seed)));
        Assert.Null(sim.Run());
        Assert.True(sim.PermittedLosses > 0, $"seed {seed}: no recovery lost an acknowledged write beyond the budget");
    }

    /// <summary>
    /// Found by the campaign of seeds 200,001..400,000: a hang within the fault budget, whatever minAckBackups is. A
    /// backup restarted empty took primary 0's whole list at seq 4 while delta 4 to the other backup was still on its
    /// way; primary 0 crashed (delta 4 lost with it, never acknowledged), then primary 1. The other backup was at seq 3
    /// and no backup retained delta 4 (it sat inside the list), so one backup was current on two lost primaries and every
    /// recovery waited. A backup that loads a list now gets it as of the other backups' watermark, then the deltas since.
    /// </summary>
    [Theory]
    [InlineData(349_074)]
    public void A_backup_loading_a_list_retains_the_deltas_the_others_may_still_miss(int seed) => Assert.Null(Run(seed));

    /// <summary>
    /// Found by the campaign of seeds 400,001..600,000, with minAckBackups 1 &lt; f = 2: primary 1 acknowledged writes
    /// that only backup 0 held (backup 1 had been dropped), then both primaries crashed. Past f as the fault model
    /// counts, two lost lists and one backup holding them: nothing can rebuild them, and the recoveries wait. The
    /// checker counts that as the setting's cost instead of a hang.
    /// </summary>
    [Theory]
    [InlineData(523_857)]
    public void Past_f_recoveries_wait_when_too_few_backups_hold_the_acknowledged_lists(int seed)
    {
        var sim = new FusionSimulation(seed, FusionSimOptions.Random(new Random(~seed)));
        Assert.Null(sim.Run());
        Assert.Equal(1, sim.PermittedHangs);
    }

    private static int Setting(string name, int otherwise) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : otherwise;

    private static string? Run(int seed) => new FusionSimulation(seed, FusionSimOptions.Random(new Random(~seed))).Run();

    [Fact]
    public void Replay()
    {
        if (Environment.GetEnvironmentVariable("BITFUSION_FUSION_SEED") is not { Length: > 0 } text) return;
        int seed = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var sim = new FusionSimulation(seed, FusionSimOptions.Random(new Random(~seed)));
        string? failure = sim.Run();
        output.WriteLine($"seed {seed}: {sim.Events} events, {(failure ?? "passed")}");
        Assert.Null(failure);
    }
}
