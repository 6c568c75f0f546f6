using System.Net;
using BitFusion.Harness;
using BitFusion.Harness.Namespaces;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The cluster as separate machines: every node in its own network namespace with its own address on a private
/// bridge, the cluster file naming those addresses, so nothing can lean on loopback or on sharing a host. The test
/// reaches the nodes from one more namespace through loopback forwarders. Chaos and the final rebuild checks run as
/// on one host. Needs root and iproute2, which CI has; anywhere else the test fails and says so.
/// </summary>
public sealed class SeparateHostsTests(ITestOutputHelper output)
{
    private const int Port = 7400;

    [Fact]
    public Task ClusterOfSeparateHostsSurvivesChaos() =>
        Scenario.RunAsync(output, "separate hosts (one network namespace per node), n=3 f=2", async s =>
        {
            if (IpCommand.Unavailable() is { } why)
                Assert.Fail($"This test runs each node in its own network namespace, which is impossible here: {why}. Run the tests as root with iproute2 installed, as CI does.");
            ClusterConfig config = ClusterLayout.Build(3, 2, 0, 0, "127.0.0.1", Port);
            IsolatedNetwork network = s.Own(IsolatedNetwork.Create(config.Nodes.Count + 1));
            NetworkHost tester = network.Hosts[^1];
            var hostOf = new Dictionary<int, NetworkHost>();
            var forwarders = new Dictionary<int, NamespaceForwarder>();
            for (int i = 0; i < config.Nodes.Count; i++)
            {
                NodeConfig node = config.Nodes[i];
                hostOf[node.Id] = network.Hosts[i];
                node.Host = network.Hosts[i].Address.ToString();
                node.Port = Port;
                forwarders[node.Id] = s.Own(NamespaceForwarder.Start(tester.Namespace, new IPEndPoint(network.Hosts[i].Address, Port)));
            }
            s.Log($"network {network.Hub}: {string.Join(", ", config.Nodes.Select(n => $"{n.Role} {n.Id} = {n.Host} in {hostOf[n.Id].Namespace}"))}; tester in {tester.Namespace}");

            FusionCluster cluster = await s.StartClusterAsync(config, o => new FusionClusterOptions
            {
                Binary = o.Binary,
                Namespace = n => hostOf[n.Id].Namespace,
                Reach = n => forwarders[n.Id].LocalEndPoint,
            });
            foreach (NodeProcess node in cluster.Nodes)
            {
                NetworkHost host = hostOf[node.Id];
                Assert.Contains($" on {host.Address}:{Port}", node.Ready!.Text);
                Assert.Equal(host.Namespace, IpCommand.Run("netns", "identify", node.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Trim());
            }
            s.Log("every node runs in its own namespace and serves on its own address");

            s.AddWorkers(maxBatch: 8);
            var chaos = s.Chaos = new ChaosMonkey(cluster, new Random(s.Rng.Next()));
            await s.DriveAsync(async cancel =>
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timer.CancelAfter(TimeSpan.FromSeconds(8));
                await chaos.RunAsync(timer.Token);
                cancel.ThrowIfCancellationRequested();
            });
            Assert.True(chaos.Kills > 0, "the chaos killed nothing");
            await ClusterCheck.VerifyAsync(cluster, s.Workers, s.Rng, s.Log);
        });
}
