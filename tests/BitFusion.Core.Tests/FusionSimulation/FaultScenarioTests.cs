using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// The bugs two reviews found by reading, each replayed as a script in the whole-cluster simulator. Every run also
/// makes all the checks of a random seed (no acknowledged write lost, no hang, backups decode to the lists).
/// </summary>
public class FaultScenarioTests
{
    private static FusionSimOptions Shape(int primaries, int faults, int minAck, int ops = 80) =>
        new(primaries, faults, minAck, Clients: 1, OpsPerClient: ops, FaultEvents: 0, Pauses: false, Crashes: false, Drops: false, SlowReaders: false, Growing: false);

    /// <summary>
    /// f = 2: backup 1 pauses just after primary P's delta k reached it but not backup 0; P dies; P restarts and,
    /// without waiting out the paused backup, rebuilds at k − 1 from backup 0; a new write k is acknowledged by
    /// backup 0 alone; backup 1 resumes holding the old delta k. Were it trusted because the seq matches, killing
    /// backup 0 and P would rebuild P from backup 1 without the acknowledged write. With life ids backup 1 holds
    /// another life, is re-encoded, and the final rebuild from it is exact.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_stale_backup_is_re_encoded_not_trusted_because_a_seq_matches(int seed)
    {
        bool staged = false;
        long stalePrefix = 0;
        var sim = new FusionSimulation(seed, Shape(1, 2, minAck: 1, ops: 150), s =>
        {
            SimPrimaryNode p = s.Primaries[0];
            SimBackupNode b0 = s.Backups[0], b1 = s.Backups[1];
            s.SlowLinks[(p, b0)] = 80;
            s.Watch(() => s.Now > 500 && p.Role is { IsServing: true } && b1.Role!.State.Seq(0) > b0.Role!.State.Seq(0), () =>
            {
                stalePrefix = b1.Role!.State.Seq(0);
                s.Pause(b1, resumeAfter: 60_000);
                s.Crash(p, restartAfter: 50);
                s.Watch(() => p.Role is { IsServing: true } && s.AckedSeq[0] >= stalePrefix, () =>
                {
                    staged = p.LastRecovery!.Suspected.Contains(1) && p.LastRecovery.Seq < stalePrefix;
                    s.Resume(b1);
                    s.At(s.Now + 3000, () =>
                    {
                        s.Crash(b0, restartAfter: 100);
                        s.Crash(p, restartAfter: 100);
                        s.At(s.Now + 3000, s.Heal);
                    });
                });
            });
        });
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
        Assert.True(staged, $"seed {seed} did not stage the stale delta (prefix {stalePrefix})");
        Assert.True(sim.Backups[1].Role!.Resets >= 1, "backup 1 was never re-encoded");
    }

    /// <summary>
    /// A dropped connection while writes stream: the primary keeps its recent deltas, so the backup catches up by
    /// resend and counts again (no re-encode). With f = 1 every write would otherwise block or fail forever.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_dropped_connection_is_caught_up_by_resend_while_writes_continue(int seed)
    {
        var sim = new FusionSimulation(seed, Shape(1, 1, minAck: 1), s =>
        {
            SimPrimaryNode p = s.Primaries[0];
            SimBackupNode b0 = s.Backups[0];
            s.Watch(() => s.Now > 800 && p.Role is { IsServing: true } && p.Role.Seq > b0.Role!.State.Seq(0), () =>
            {
                s.Drop(p, b0);
                s.At(s.Now + 1000, s.Heal);
            });
        });
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
        Assert.Equal(0, sim.Backups[0].Role!.Resets);
    }

    /// <summary>
    /// f = 2 and backup 1 paused for good: a restarted primary proceeds without it once it has been silent for
    /// the suspicion timeout, says so in its recovery result, and its writes complete on backup 0 (minAck 1) or fail
    /// fast (minAck 2) — no client call waits. When the backup resumes it is re-encoded.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    public void Recovery_does_not_wait_out_a_paused_backup(int seed, int minAck)
    {
        var sim = new FusionSimulation(seed, Shape(1, 2, minAck, ops: 40), s =>
        {
            SimPrimaryNode p = s.Primaries[0];
            s.At(1000, () => s.Pause(s.Backups[1], resumeAfter: 60_000));
            s.At(1500, () => s.Crash(p, restartAfter: 200));
            s.At(12_000, s.Heal);
        });
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
        SimPrimaryNode primary = sim.Primaries[0];
        RecoveryResult? recovery = primary.LastRecovery;
        Assert.NotNull(recovery);
        Assert.Contains(1, recovery.Suspected);
        Assert.True(primary.RecoveredAt - primary.StartedAt <= FusionSimOptions.SuspectAfterMs + 500,
            $"recovery took {primary.RecoveredAt - primary.StartedAt} simulated ms");
        Assert.True(sim.Backups[1].Role!.Resets >= 1, "the paused backup was not re-encoded after it resumed");
    }

    /// <summary>
    /// A backup's Retained reply holds only what fits in one frame (two deltas here), and the recovering primary asks
    /// for the rest: backup 1 lags backup 0 by several deltas when the primary dies, and the restarted primary rolls
    /// it forward over several partial replies to the seq backup 0 reached — every retained delta, and no re-encode.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_lagging_backup_is_rolled_forward_over_several_partial_retained_replies(int seed)
    {
        long top = 0, behind = 0;
        var sim = new FusionSimulation(seed, Shape(1, 2, minAck: 2, ops: 60) with { Clients = 6 }, s =>
        {
            s.RetainedPerReply = 2;
            SimPrimaryNode p = s.Primaries[0];
            SimBackupNode b0 = s.Backups[0], b1 = s.Backups[1];
            s.SlowLinks[(p, b1)] = 80;
            s.Watch(() => s.Now > 500 && p.Role is { IsServing: true } && b0.Role!.State.Seq(0) - b1.Role!.State.Seq(0) >= 4, () =>
            {
                top = b0.Role!.State.Seq(0);
                behind = b1.Role!.State.Seq(0);
                s.Crash(p, restartAfter: 50);
                s.At(s.Now + 3000, s.Heal);
            });
        });
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
        Assert.True(top > 0, $"seed {seed}: backup 1 never lagged backup 0 by 4 deltas");
        RecoveryResult? recovery = sim.Primaries[0].LastRecovery;
        Assert.True(recovery is { Rebuilt: true }, $"seed {seed}: the restarted primary was not rebuilt");
        Assert.Equal(top, recovery.Seq);
        // One attempt rolls backup 1 forward over every partial reply, the next one cuts: asking for the rest is not a
        // fresh status round per reply.
        Assert.Equal(2, recovery.Attempts);
        Assert.True(sim.Backups[0].RetainedReplies >= (top - behind + 1) / 2,
            $"seed {seed}: {sim.Backups[0].RetainedReplies} retained replies for {top - behind} deltas of at most 2 each");
        Assert.Equal(0, sim.Backups[1].Role!.Resets);
    }

    /// <summary>
    /// The link to a backup drops just as the rebuilt primary resumes, so the Serving that moves the backup into the
    /// new life is lost. The backup still holds exactly the basis the primary was rebuilt from: on reattach the
    /// primary sends Serving again (and the deltas since), and the backup is not re-encoded.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    public void A_link_dropped_as_the_primary_resumes_costs_no_re_encode(int seed, int faults)
    {
        bool dropped = false;
        var sim = new FusionSimulation(seed, Shape(1, faults, minAck: 1, ops: 60), s =>
        {
            SimPrimaryNode p = s.Primaries[0];
            SimBackupNode b0 = s.Backups[0];
            s.At(800, () =>
            {
                s.Crash(p, restartAfter: 50);
                s.Watch(() => p.Role is { IsServing: true } && p.LastRecovery is { Rebuilt: true }, () =>
                {
                    dropped = true;
                    s.Drop(p, b0);
                    s.At(s.Now + 3000, s.Heal);
                });
            });
        });
        string? failure = sim.Run();
        Assert.True(failure is null, failure);
        Assert.True(dropped, $"seed {seed}: the primary was never rebuilt");
        Assert.All(sim.Backups, b => Assert.Equal(0, b.Role!.Resets));
    }
}
