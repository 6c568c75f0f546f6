using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 1 under fire: clients write to every primary while random primaries and backups are SIGKILLed (up to f
/// down at once, at random moments, several at the same instant) and restarted. Every acknowledged write must
/// survive every recovery, and each list must end equal, bit for bit, to the writes its client saw acknowledged.
/// BITFUSION_CHAOS_SECONDS lengthens the chaos for soak runs.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public Task AcknowledgedWritesSurviveRandomKills(int f, int n) =>
        Scenario.RunAsync(output, $"chaos f={f} n={n}", async s =>
        {
            await s.StartClusterAsync(ClusterLayout.Build(n, f, 0, 0, "127.0.0.1", 0));
            s.AddWorkers(maxBatch: 8);
            var chaos = s.Chaos = new ChaosMonkey(s.Cluster!, new Random(s.Rng.Next()));
            TimeSpan duration = TimeSpan.FromSeconds(ChaosSeconds());
            await s.DriveAsync(async cancel =>
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timer.CancelAfter(duration);
                await chaos.RunAsync(timer.Token);
                cancel.ThrowIfCancellationRequested();
            });
            s.Log($"chaos over: {chaos.Kills} kills (+{chaos.MidRecoveryKills} during a recovery), {chaos.Restarts} restarts, at most {chaos.MostDownAtOnce} down at once");
            Assert.True(chaos.Kills > 0, "the chaos killed nothing");
            await ClusterCheck.VerifyAsync(s.Cluster!, s.Workers, s.Rng, s.Log);
        });

    private static double ChaosSeconds() =>
        Environment.GetEnvironmentVariable("BITFUSION_CHAOS_SECONDS") is { Length: > 0 } text
            ? double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : 12;
}
