using BitFusion.Harness;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The groups outlive their only manager: it is SIGKILLed, a data node dies while no manager is there to notice,
/// and the restarted manager — a new life, in no view — learns the last view from the data nodes, finds no sender
/// left, takes over under a fresh sender id (removing the dead data node), and serves every list as it was. The dead
/// node then rejoins from its group's survivor, and the manager reports the pause.
/// </summary>
public sealed class ReplicationTakeoverTests(ITestOutputHelper output)
{
    [Fact]
    public Task ARestartedSoleManagerTakesOverTheGroups() =>
        ReplicationRun.RunAsync(output, "sole manager restart", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 2, 1, "127.0.0.1", 0));
            NodeProcess manager = cluster.Managers[0];
            var models = new[] { new BitModel(), new BitModel() };

            async Task WriteAsync(int ops)
            {
                for (int g = 0; g < models.Length; g++)
                {
                    using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 20, group: g);
                    for (int i = 0; i < ops; i++)
                    {
                        Operation op = Operation.Random(run.Rng, models[g].Count);
                        long count = await op.SendAsync(client);
                        models[g].Apply(op);
                        Assert.Equal(models[g].Count, count);
                    }
                }
            }

            async Task CheckAsync(string when)
            {
                for (int g = 0; g < models.Length; g++)
                {
                    BitsResult[] replicas = await run.ReadAgreeingAsync(cluster.Groups[g]);
                    if (models[g].Difference(replicas[0].Words, replicas[0].Length, replicas[0].Seq) is { } d)
                        throw new WorkloadException($"{when}: group {g} differs from its writes: {d}");
                }
                run.Log($"{when}: every replica of both groups equals its writes");
            }

            await WriteAsync(300);
            await CheckAsync("before the crash");
            NodeProcess victim = cluster.Groups[0][1];
            await cluster.KillAsync([manager]);
            await cluster.KillAsync([victim]);
            run.Log($"killed {manager}, then {victim} while no manager was alive");

            ReadyLine ready = (await cluster.StartAsync([manager]))[0];
            run.Log($"{manager} back: {ready.Text}");
            Assert.True(ready.Int64("sender") > ushort.MaxValue, "the restarted manager reused a sender id");
            await WriteAsync(200);
            await CheckAsync("after the takeover");

            ReadyLine rejoined = (await cluster.StartAsync([victim]))[0];
            run.Log($"{victim} back: {rejoined.Text}");
            Assert.True(rejoined.Has("rejoined"));
            Assert.Equal(models[0].Count, rejoined.Int64("length"));
            Assert.Equal(models[0].Seq, rejoined.Int64("seq"));
            await WriteAsync(100);
            await CheckAsync("after the rejoin");

            using BitListClient probe = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 21, group: 0);
            float[] pauses = await probe.RejoinTimesAsync();
            Assert.Single(pauses);
            Assert.Equal(300, (await probe.SamplesAsync()).Length);
            run.Log($"the manager recorded the rejoin's pause: {pauses[0]:0} µs");
        });
}
