using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Faults;

/// <summary>A cluster started with fault proxies: every node-to-node connection passes its link's proxy, and a delayed link still carries every write in order.</summary>
public sealed class RoutedClusterTests(ITestOutputHelper output)
{
    [Fact]
    public Task EveryNodeToNodeConnectionPassesItsProxy() =>
        Scenario.RunAsync(output, "routed fusion cluster", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(2, 2, 0, 0, "127.0.0.1", 0),
                o => new FusionClusterOptions { Binary = o.Binary, FaultProxies = true });
            foreach (NodeProcess primary in cluster.Primaries)
                foreach (NodeProcess backup in cluster.Backups)
                    Assert.True(cluster.Proxies!.Link(primary.Id, backup.Id).Accepted > 0, $"{primary} reached {backup} around its proxy");
            foreach (var link in cluster.Proxies!.Links) link.Delay = TimeSpan.FromMilliseconds(15);
            var model = new BitModel();
            using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[0].Id), cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
            var rng = new Random(s.Seed);
            for (int i = 0; i < 40; i++)
            {
                Operation op = Operation.Random(rng, model.Count);
                Assert.Equal(op.CountAfter(model.Count), await op.SendAsync(client));
                model.Apply(op);
            }
            BitsResult read = await client.ReadAllAsync();
            Assert.Null(model.Difference(read.Words, read.Length, read.Seq));
            cluster.Proxies.Heal();
            s.Log($"40 writes through delayed links; {cluster.Proxies}");
        });
}
