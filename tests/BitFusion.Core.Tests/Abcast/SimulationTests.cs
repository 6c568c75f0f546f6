using Xunit.Abstractions;

namespace BitFusion.Core.Tests.Abcast;

/// <summary>
/// ABCAST under the seeded simulated network. Every run checks: the same sequence at every replica of a group
/// (a rejoined replica: the donor's prefix, then the same suffix), one timestamp per message everywhere and
/// strictly increasing keys (so the order is one total order across groups), atomicity across groups, nothing
/// delivered twice, nothing delivered before a final timestamp was decided for it, every completed multicast
/// delivered by every live destination, no queue left pinned, no sender left waiting.
/// </summary>
public class SimulationTests(ITestOutputHelper output)
{
    private SimStats RunSeeds(int firstSeed, int count, Func<Random, SimOptions> shape)
    {
        var total = new SimStats();
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            var sim = new SkeenSimulation(seed, shape(new Random(~seed)));
            string? failure = sim.Run();
            Assert.True(failure is null, failure);
            total.Add(sim.Stats);
        }
        output.WriteLine($"seeds {firstSeed}..{firstSeed + count - 1}: {total}");
        return total;
    }

    [Fact]
    public void Concurrent_senders_and_multi_group_multicasts_without_faults()
    {
        SimStats stats = RunSeeds(1, 1500, r => new SimOptions(
            Groups: r.Next(1, 4), ReplicasPerGroup: r.Next(1, 4), Senders: r.Next(1, 4), MessagesPerSender: r.Next(5, 30),
            MultiGroupChance: r.NextDouble()));
        Assert.True(stats.Delivered > 50_000, stats.ToString());
    }

    [Fact]
    public void Replicas_crash_and_rejoin_by_state_transfer()
    {
        SimStats stats = RunSeeds(10_001, 800, r => new SimOptions(
            Groups: r.Next(1, 4), ReplicasPerGroup: r.Next(2, 4), Senders: r.Next(1, 4), MessagesPerSender: r.Next(10, 30),
            ReceiverCrashes: r.Next(1, 5)));
        Assert.True(stats.Rejoins > 1000 && stats.Transfers > 1000 && stats.ReflectedDrops > 100, stats.ToString());
    }

    [Fact]
    public void Senders_crash_between_data_and_final_and_recovery_settles_their_orphans()
    {
        SimStats stats = RunSeeds(20_001, 800, r => new SimOptions(
            Groups: r.Next(1, 4), ReplicasPerGroup: r.Next(1, 4), Senders: r.Next(2, 4), MessagesPerSender: r.Next(10, 30),
            SenderCrashes: r.Next(1, 3), SenderJoins: r.Next(0, 2)));
        Assert.True(stats.SenderCrashes > 800 && stats.OrphansFinalised > 300 && stats.OrphansDiscarded > 100, stats.ToString());
    }

    [Fact]
    public void Connections_drop_and_resends_are_deduplicated()
    {
        SimStats stats = RunSeeds(30_001, 600, r => new SimOptions(
            Groups: r.Next(1, 4), ReplicasPerGroup: r.Next(1, 4), Senders: r.Next(1, 4), MessagesPerSender: r.Next(10, 30),
            LinkDrops: r.Next(1, 6)));
        Assert.True(stats.LinkDrops > 1500 && stats.Duplicates > 500, stats.ToString());
    }

    [Fact]
    public void Every_fault_at_once()
    {
        SimStats stats = RunSeeds(40_001, 1000, r => new SimOptions(
            Groups: r.Next(1, 4), ReplicasPerGroup: r.Next(2, 4), Senders: r.Next(2, 4), MessagesPerSender: r.Next(10, 30),
            MultiGroupChance: r.NextDouble() * 0.6, ReceiverCrashes: r.Next(0, 4), SenderCrashes: r.Next(0, 3),
            LinkDrops: r.Next(0, 5), SenderJoins: r.Next(0, 2)));
        Assert.True(stats.Rejoins > 500 && stats.SenderCrashes > 500 && stats.LinkDrops > 500, stats.ToString());
    }

    [Fact]
    public void The_simulation_catches_the_classic_bug_and_the_real_rule_passes_the_same_seeds()
    {
        // The classic bug: deliver a final message although a tentative one with a smaller key is still pending.
        static SimOptions Shape(int seed, bool buggy)
        {
            var r = new Random(seed);
            return new SimOptions(Groups: r.Next(1, 3), ReplicasPerGroup: r.Next(1, 4), Senders: r.Next(2, 4),
                MessagesPerSender: r.Next(5, 20), MultiGroupChance: 0.3, BuggyDelivery: buggy);
        }

        var caught = new List<string>();
        for (int seed = 1; seed <= 200; seed++)
            if (new SkeenSimulation(seed, Shape(seed, buggy: true)).Run() is string failure)
            {
                caught.Add(failure);
                string? real = new SkeenSimulation(seed, Shape(seed, buggy: false)).Run();
                Assert.True(real is null, real);
            }
        output.WriteLine($"the buggy rule failed {caught.Count} of 200 seeds; first: {caught.FirstOrDefault()}");
        Assert.True(caught.Count >= 20, $"the buggy rule failed only {caught.Count} of 200 seeds");
    }
}
