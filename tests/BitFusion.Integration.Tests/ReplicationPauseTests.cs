using BitFusion.Harness;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A data node frozen with SIGSTOP (sockets open, nothing answered): the manager suspects it once it has been silent
/// for suspectAfterMs, the view drops it, and writes to its group complete on the other replica. When it runs again
/// it finds itself excluded (fenced), starts over as a new life and rejoins by state transfer, equal to the writes.
/// </summary>
public sealed class ReplicationPauseTests(ITestOutputHelper output)
{
    private const int SuspectAfterMs = 1000;
    private const int ResumeSlackMs = 4000;

    [Fact]
    public Task APausedDataNodeIsExcludedAndRejoinsWhenItResumes() =>
        ReplicationRun.RunAsync(output, "paused data node", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0), suspectAfterMs: SuspectAfterMs);
            NodeProcess manager = cluster.Managers[0];
            var model = new BitModel();
            using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 20,
                group: 0, timeout: TimeSpan.FromSeconds(60));

            async Task WriteAsync(int ops)
            {
                for (int i = 0; i < ops; i++)
                {
                    Operation op = Operation.Random(run.Rng, model.Count);
                    long count = await op.SendAsync(client);
                    model.Apply(op);
                    Assert.Equal(model.Count, count);
                }
            }

            await WriteAsync(100);
            NodeProcess paused = cluster.Groups[0][1];
            paused.Suspend();
            var stall = System.Diagnostics.Stopwatch.StartNew();
            run.Log($"{paused} stopped with SIGSTOP");
            await WriteAsync(1);
            run.Log($"the first write after the pause completed {stall.ElapsedMilliseconds} ms after it");
            // Writes resume once the manager suspects the node (suspectAfterMs) and installs a view without it; the
            // slack is for a loaded CI machine. Before the failure detector they waited for the node for ever.
            Assert.True(stall.ElapsedMilliseconds < SuspectAfterMs + ResumeSlackMs,
                $"writes to the group resumed only {stall.ElapsedMilliseconds} ms after the pause (suspectAfterMs {SuspectAfterMs})");
            await WriteAsync(99);
            run.Log("100 writes completed while it was stopped");
            paused.Resume();
            run.Log($"{paused} resumed");
            await WaitServingAsync(cluster, paused);
            await WriteAsync(50);
            BitsResult[] replicas = await run.ReadAgreeingAsync(cluster.Groups[0]);
            if (model.Difference(replicas[0].Words, replicas[0].Length, replicas[0].Seq) is { } d)
                throw new WorkloadException($"the group differs from its writes: {d}");
            run.Log("both replicas equal the writes");
        });

    private static async Task WaitServingAsync(ReplicationCluster cluster, NodeProcess node)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using BitListClient probe = await BitListClient.ConnectAsync(cluster.EndPointOf(node.Id), cluster.Key, cluster.IdentityOf(node.Id), 21,
                    timeout: TimeSpan.FromSeconds(30));
                await probe.CountAsync();
                return;
            }
            catch (RemoteException e) when (e.Code == ErrorCode.NotReady && attempt < 1200)
            {
                await Task.Delay(50);
            }
        }
    }
}
