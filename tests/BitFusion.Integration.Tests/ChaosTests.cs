using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 1 under fire: clients write to every primary while random primaries and backups are SIGKILLed (up to f
/// down at once, at random moments, several at the same instant) and restarted. Every acknowledged write must
/// survive every recovery, and each list must end equal, bit for bit, to the writes its client saw acknowledged,
/// and every backup must hold exactly the fused words of those lists. A second theory adds pauses (SIGSTOP/SIGCONT)
/// and dropped node-to-node connections (through the harness's fault proxies).
/// BITFUSION_CHAOS_SECONDS lengthens the chaos for soak runs.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public Task AcknowledgedWritesSurviveRandomKills(int f, int n) => RunAsync(f, n, ChaosMonkey.Nemesis.Kills);

    /// <summary>The same with the rest of the fault model: SIGSTOP/SIGCONT pauses and connections dropped between live nodes.</summary>
    [Fact]
    public Task AcknowledgedWritesSurviveKillsPausesAndDrops() => RunAsync(1, 3, ChaosMonkey.Nemesis.Pauses | ChaosMonkey.Nemesis.Drops);

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public Task AcknowledgedWritesSurviveKillsPausesAndDropsWithMoreFaults(int f, int n) => RunAsync(f, n, ChaosMonkey.Nemesis.Pauses | ChaosMonkey.Nemesis.Drops);

    private Task RunAsync(int f, int n, ChaosMonkey.Nemesis nemesis) =>
        Scenario.RunAsync(output, $"chaos f={f} n={n} ({nemesis})", async s =>
        {
            bool proxies = nemesis.HasFlag(ChaosMonkey.Nemesis.Drops);
            await s.StartClusterAsync(ClusterLayout.Build(n, f, 0, 0, "127.0.0.1", 0),
                o => new FusionClusterOptions { Binary = o.Binary, FaultProxies = proxies });
            s.AddWorkers(maxBatch: 8);
            var chaos = s.Chaos = new ChaosMonkey(s.Cluster!, new Random(s.Rng.Next()), nemesis);
            TimeSpan duration = TimeSpan.FromSeconds(ChaosSeconds());
            await s.DriveAsync(async cancel =>
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timer.CancelAfter(duration);
                await chaos.RunAsync(timer.Token);
                cancel.ThrowIfCancellationRequested();
            });
            s.Log($"chaos over: {chaos.Kills} kills (+{chaos.MidRecoveryKills} during a recovery), {chaos.Restarts} restarts, " +
                  $"{chaos.Pauses} pauses, {chaos.Drops} drops, at most {chaos.MostDownAtOnce} unhealthy at once");
            Assert.True(chaos.Kills > 0, "the chaos killed nothing");
            await ClusterCheck.VerifyAsync(s.Cluster!, s.Workers, s.Rng, s.Log);
        });

    private static double ChaosSeconds() =>
        Environment.GetEnvironmentVariable("BITFUSION_CHAOS_SECONDS") is { Length: > 0 } text
            ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : 12;
}
