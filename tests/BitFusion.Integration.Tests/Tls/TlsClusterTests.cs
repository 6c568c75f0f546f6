using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Tls;

/// <summary>
/// Clusters of real processes with every connection over mutual TLS: fusion serves writes under load and rebuilds a
/// SIGKILLed primary; replication serves writes through a manager and rejoins a SIGKILLed data node.
/// </summary>
public sealed class TlsClusterTests(ITestOutputHelper output)
{
    [Fact]
    public Task AFusionClusterOverTlsServesWritesAndRebuildsAKilledPrimary() =>
        Scenario.RunAsync(output, "fusion over TLS, n=2 f=1, one primary SIGKILLed under load", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", 0),
                o => new FusionClusterOptions { Binary = o.Binary, Tls = true });
            foreach (NodeProcess node in cluster.Nodes) await AssertSpeaksTls13Async(cluster, node);
            s.AddWorkers(maxBatch: 8);
            NodeProcess victim = cluster.Primaries[s.Rng.Next(cluster.Primaries.Count)];
            await s.DriveAsync(async cancel =>
            {
                await Task.Delay(1000, cancel);
                await cluster.KillAsync([victim]);
                s.Log($"killed {victim}");
                ReadyLine[] ready = await cluster.StartAsync([victim], cancel);
                s.Log($"{victim} healthy again: {ready[0].Text}");
                Assert.True(ready[0].Has("rebuilt"), $"{victim} did not rebuild its list: {ready[0].Text}");
                await Task.Delay(1000, cancel);
            });
            Assert.True(s.Workers.Single(w => w.Primary == victim).Recoveries > 0, $"the client of {victim} never saw it die");
            Assert.All(s.Workers, w => Assert.True(w.Acked > 0, $"{w} acknowledged nothing"));
            await ClusterCheck.VerifyAsync(cluster, s.Workers, s.Rng, s.Log);
        });

    [Fact]
    public async Task AReplicationClusterOverTlsServesWritesAndRejoinsAKilledDataNode()
    {
        ClusterConfig config = ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0);
        await using ReplicationCluster cluster = await ReplicationCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path, Tls = true });
        NodeProcess manager = cluster.Managers[0];
        foreach (NodeProcess node in cluster.Nodes) await AssertSpeaksTls13Async(cluster, node);
        using (BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 50, group: 0))
            for (int i = 0; i < 20; i++) await client.AppendAsync(i % 3 == 0);

        ReadyLine rejoined = await cluster.Groups[0][1].RestartAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"data node rejoined: {rejoined.Text}");

        using BitListClient after = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 51, group: 0);
        for (int i = 0; i < 5; i++) await after.AppendAsync(true);
        Assert.Equal(25, await after.CountAsync());
    }

    /// <summary>
    /// The node's port speaks TLS 1.3 and presents a certificate for exactly this node from the cluster CA. (The probe
    /// presents none, so the node then drops it: that refusal is what its log shows.)
    /// </summary>
    private static async Task AssertSpeaksTls13Async(ProcessCluster cluster, NodeProcess node)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(cluster.EndPointOf(node.Id));
        X509Certificate2? presented = null;
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "bitfusion",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                presented = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                return true;
            },
        });
        Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
        Assert.NotNull(presented);
        Assert.Null(cluster.Key.Tls!.Verify(presented, out PeerIdentity identity));
        Assert.Equal(cluster.IdentityOf(node.Id), identity);
    }
}
