using BitFusion.Harness;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 2 under fire: per group one client through each of two managers writes concurrently (so Skeen orders
/// two senders' multicasts into every group), while data nodes are SIGKILLed at random moments (up to f per group
/// down or rejoining at once) and rejoin by state transfer, and one manager is killed and restarted. At the end
/// every replica of a group is identical, and equal to the acknowledged writes applied in the order of the
/// positions the managers reported, with the writes a manager's death left unknown in the remaining positions;
/// every reported count and every read agrees with that order, no read missed an acknowledged write, no manager saw
/// replicas disagree, and every group acknowledged writes. The manager kill may overlap anything, rejoins included.
/// A second theory adds pauses and dropped node-to-node connections.
/// BITFUSION_CHAOS_SECONDS lengthens the chaos for soak runs.
/// </summary>
public sealed class ReplicationChaosTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    public Task ReplicasAgreeWithTheAcknowledgedWrites(int f, int groups) => RunAsync(f, groups, ChaosMonkey.Nemesis.Kills);

    /// <summary>The same with pauses (SIGSTOP/SIGCONT of data nodes and managers) and node-to-node connections dropped through the fault proxies.</summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    public Task ReplicasAgreeUnderKillsPausesAndDrops(int f, int groups) => RunAsync(f, groups, ChaosMonkey.Nemesis.Pauses | ChaosMonkey.Nemesis.Drops);

    private Task RunAsync(int f, int groups, ChaosMonkey.Nemesis nemesis) =>
        ReplicationRun.RunAsync(output, $"replication chaos f={f} groups={groups} ({nemesis})", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, f, groups, 2, "127.0.0.1", 0), proxies: nemesis.HasFlag(ChaosMonkey.Nemesis.Drops));
            run.AddWriters();
            var chaos = run.Chaos = new ReplicationChaos(cluster, new Random(run.Rng.Next()), nemesis);
            TimeSpan duration = TimeSpan.FromSeconds(ChaosSeconds());
            await run.DriveAsync(cancel => chaos.RunAsync(duration, cancel));
            run.Log($"chaos over: {chaos.Kills} data-node kills, {chaos.Restarts} restarts, {chaos.ManagerKills} manager kill(s), {chaos.Pauses} pauses, {chaos.Drops} drops");
            Assert.True(chaos.Kills > 0, "the chaos killed no data node");
            Assert.Equal(1, chaos.ManagerKills);
            await run.VerifyAsync();
        });

    private static double ChaosSeconds() =>
        Environment.GetEnvironmentVariable("BITFUSION_CHAOS_SECONDS") is { Length: > 0 } text
            ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : 10;
}
