using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// Issue 10's overlap on purpose: a data node is SIGKILLed and restarted, and while it rejoins (admitted by the
/// coordinator, waiting for its state) the coordinator itself is SIGKILLed and restarted a little later. Writers
/// keep writing through both managers. The joiner must serve again (no hang) and every group's replicas must end
/// identical and equal to the acknowledged writes.
/// </summary>
public sealed class CoordinatorDuringRejoinTests(ITestOutputHelper output)
{
    private const int Rounds = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public Task ARejoinSurvivesTheCoordinatorsDeath() =>
        ReplicationRun.RunAsync(output, "coordinator killed during a rejoin", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 2, 2, "127.0.0.1", 0));
            run.AddWriters();
            await run.DriveAsync(async cancel =>
            {
                for (int round = 1; round <= Rounds; round++)
                {
                    await Task.Delay(run.Rng.Next(200, 500), cancel);
                    NodeProcess joiner = cluster.DataNodes[run.Rng.Next(cluster.DataNodes.Count)];
                    NodeProcess coordinator = await CoordinatorAsync(cluster);
                    int midJoin = run.Rng.Next(0, 150), away = run.Rng.Next(100, 500);
                    run.Log($"round {round}: kill {joiner}, restart it, kill the coordinator {coordinator} {midJoin} ms into the rejoin, restart it {away} ms later");
                    await cluster.KillAsync([joiner]);
                    Task<ReadyLine> rejoin = joiner.StartAsync(Patience, cancel);
                    await Task.Delay(midJoin, cancel);
                    await cluster.KillAsync([coordinator]);
                    await Task.Delay(away, cancel);
                    ReadyLine back = await coordinator.StartAsync(Patience, cancel);
                    run.Log($"round {round}: {coordinator} ready: {back.Text}");
                    ReadyLine joined = await rejoin;
                    run.Log($"round {round}: {joiner} ready: {joined.Text}");
                }
            });
            await run.VerifyAsync();
        });

    private static async Task<NodeProcess> CoordinatorAsync(ReplicationCluster cluster)
    {
        foreach (NodeProcess manager in cluster.Managers)
            if ((await ReplicationProbe.ManagerAsync(cluster.EndPointOf(manager.Id), cluster.Key, (ushort)manager.Id)).Coordinator) return manager;
        throw new WorkloadException("no manager says it coordinates");
    }
}
