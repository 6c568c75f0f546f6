using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The worst case the code promises to survive: t = f processes SIGKILLed in the same instant, under load, for each
/// kind of loss (only primaries: the rebuild inverts an f × f submatrix; primaries and backups; only backups: every
/// backup is re-encoded at once), then restarted together.
/// </summary>
public sealed class SimultaneousFailureTests(ITestOutputHelper output)
{
    public enum Victims
    {
        Primaries,
        PrimariesAndBackups,
        Backups,
    }

    [Theory]
    [InlineData(2, 3, Victims.Primaries)]
    [InlineData(2, 3, Victims.PrimariesAndBackups)]
    [InlineData(2, 3, Victims.Backups)]
    [InlineData(3, 4, Victims.Primaries)]
    [InlineData(3, 4, Victims.PrimariesAndBackups)]
    [InlineData(3, 4, Victims.Backups)]
    public Task FKillsAtOnceAreRecovered(int f, int n, Victims victims) =>
        Scenario.RunAsync(output, $"{f} simultaneous kills ({victims}), n={n}", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(n, f, 0, 0, "127.0.0.1", 0));
            s.AddWorkers(maxBatch: 8);
            NodeProcess[] chosen = Choose(cluster, f, victims, s.Rng);
            int downMs = s.Rng.Next(0, 300);
            await s.DriveAsync(async cancel =>
            {
                await Task.Delay(1500, cancel);
                await cluster.KillAsync(chosen);
                s.Log($"killed {string.Join(", ", chosen.Select(v => v.ToString()))} at once");
                await Task.Delay(downMs, cancel);
                ReadyLine[] ready = await cluster.StartAsync(chosen, cancel);
                for (int i = 0; i < chosen.Length; i++) s.Log($"{chosen[i]} healthy again: {ready[i].Text}");
                foreach (ListWorker w in s.Workers.Where(w => chosen.Contains(w.Primary)))
                    Assert.True(ready[Array.IndexOf(chosen, w.Primary)].Has("rebuilt"), $"{w.Primary} did not rebuild its list");
                await Task.Delay(1500, cancel);
            });
            foreach (ListWorker w in s.Workers.Where(w => chosen.Contains(w.Primary)))
                Assert.True(w.Recoveries > 0, $"the client of {w.Primary} never saw it die");
            await ClusterCheck.VerifyAsync(cluster, s.Workers, s.Rng, s.Log);
        });

    private static NodeProcess[] Choose(FusionCluster cluster, int f, Victims victims, Random rng)
    {
        int primaries = victims switch
        {
            Victims.Primaries => f,
            Victims.Backups => 0,
            _ => rng.Next(1, f),
        };
        return cluster.Primaries.OrderBy(_ => rng.Next()).Take(primaries)
            .Concat(cluster.Backups.OrderBy(_ => rng.Next()).Take(f - primaries)).ToArray();
    }
}
