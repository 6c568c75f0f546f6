using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Issue 9's "operator's bad day": 3 primaries, f = 2, clients writing to every primary throughout; in each round one
/// backup is SIGSTOPped, a primary is SIGKILLed and restarted, and the backup gets SIGCONT a moment later. Every
/// restart must finish (no hang), and at the end every list equals its acknowledged writes and every backup holds
/// their fused words (the chaos tests add the rebuild-everything check; this one stays short).
/// </summary>
public sealed class OperatorBadDayTests(ITestOutputHelper output)
{
    private const int Rounds = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public Task PausedBackupAndRestartedPrimaryLoseNothingAndNeverHang() =>
        Scenario.RunAsync(output, "operator's bad day", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(3, 2, 0, 0, "127.0.0.1", 0));
            s.AddWorkers(maxBatch: 8);
            await s.DriveAsync(async cancel =>
            {
                for (int round = 1; round <= Rounds; round++)
                {
                    await Task.Delay(s.Rng.Next(200, 600), cancel);
                    NodeProcess backup = cluster.Backups[s.Rng.Next(cluster.Backups.Count)];
                    NodeProcess primary = cluster.Primaries[s.Rng.Next(cluster.Primaries.Count)];
                    int pause = s.Rng.Next(200, 1200);
                    s.Log($"round {round}: pause {backup}, kill and restart {primary}, resume {backup} after {pause} ms");
                    backup.Suspend();
                    ReadyLine ready;
                    try
                    {
                        await primary.KillAsync();
                        Task<ReadyLine> restart = primary.StartAsync(Patience, cancel);
                        await Task.Delay(pause, cancel);
                        backup.Resume();
                        ready = await restart;
                    }
                    finally
                    {
                        if (backup.IsRunning) backup.Resume();
                    }
                    s.Log($"round {round}: {primary} ready: {ready.Text}");
                    await cluster.WaitHealthyAsync(backup, cancel);
                }
            });
            foreach (ListWorker w in s.Workers) await w.CheckAsync();
            await ClusterCheck.BackupsAgreeAsync(cluster, s.Workers);
            s.Log("every list equals its acknowledged writes; every backup holds exactly their fused words");
        });
}
