using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BitFusion.Harness;
using BitFusion.Harness.Namespaces;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Tls;

/// <summary>
/// A TLS cluster whose nodes each run in their own network namespace refuses, with one clear log line and no change
/// to its state, a node that holds the cluster key but a certificate from another CA (a real process on a host of
/// its own), and a client certificate whose holder also has the cluster key and claims to be a primary. Needs root
/// and iproute2, which CI has; anywhere else the test fails and says so.
/// </summary>
public sealed class TlsRefusalTests(ITestOutputHelper output)
{
    private const int Port = 7500;

    [Fact]
    public Task AForeignCaNodeAndAClientCertificatePosingAsAPrimaryAreRefused() =>
        Scenario.RunAsync(output, "TLS in separate namespaces: a foreign-CA node and a client posing as a primary are refused", async s =>
        {
            if (IpCommand.Unavailable() is { } why)
                Assert.Fail($"This test runs each node in its own network namespace, which is impossible here: {why}. Run the tests as root with iproute2 installed, as CI does.");
            ClusterConfig config = ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", Port);
            IsolatedNetwork network = s.Own(IsolatedNetwork.Create(config.Nodes.Count + 2));
            NetworkHost intruderHost = network.Hosts[^2], tester = network.Hosts[^1];
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
            FusionCluster cluster = await s.StartClusterAsync(config, o => new FusionClusterOptions
            {
                Binary = o.Binary,
                Namespace = n => hostOf[n.Id].Namespace,
                Reach = n => forwarders[n.Id].LocalEndPoint,
                Tls = true,
            });
            NodeProcess primary = cluster.Primaries[0], backup = cluster.Backups[0];
            var primaryId = new PeerIdentity(NodeRole.Primary, (ushort)primary.Id);
            using (BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, primaryId, 1))
                for (int i = 0; i < 10; i++) await client.AppendAsync(i % 2 == 0);
            BackupReport before = await StatusAsync(cluster, backup, primary);
            s.Log($"cluster up in namespaces, 10 writes acknowledged; backup {backup.Id} holds seq {string.Join(", ", before.Primaries.Select(p => p.Seq))}");

            // A second "primary 1" on a host of its own: the cluster key, the cluster CA among its trusted roots (so it
            // accepts the real backup), but a certificate its own CA issued.
            string folder = Path.Combine(cluster.WorkDirectory, "intruder");
            ClusterConfig forged = ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", Port);
            for (int i = 0; i < forged.Nodes.Count; i++) (forged.Nodes[i].Host, forged.Nodes[i].Port) = (config.Nodes[i].Host, Port);
            forged.ClusterKey = config.ClusterKey;
            forged.Nodes.Single(n => n.Id == primary.Id).Host = intruderHost.Address.ToString();
            TlsConfig foreign = TlsIssuer.Issue(forged, folder, clients: 0);
            string trusted = Path.Combine(folder, "trusted.crt");
            await File.WriteAllTextAsync(trusted, await File.ReadAllTextAsync(config.Tls!.Ca!) + await File.ReadAllTextAsync(foreign.Ca!));
            foreign.Ca = trusted;
            forged.Tls = foreign;
            string forgedPath = Path.Combine(folder, "cluster.json");
            ClusterFile.Write(forged, forgedPath);
            long mark = backup.Log.Total;
            using var intruderLog = new LineTail(200, Path.Combine(folder, "intruder.log"));
            await using (ChildProcess intruder = ChildProcess.Start("ip",
                ["netns", "exec", intruderHost.Namespace, HostBinary.Path, "primary", "-c", forgedPath, "--id", primary.Id.ToString(CultureInfo.InvariantCulture)],
                $"intruder primary {primary.Id} in {intruderHost.Namespace}", intruderLog))
            {
                string line = await WaitForLineAsync(backup.Log, mark, "is not issued by this cluster's CA", intruderLog);
                s.Log($"backup refused the intruder: {line}");
                Assert.Contains($"peer @ {intruderHost.Address}:", line);
                Assert.Contains("rejected: TLS: the certificate \"CN=bitfusion primary 1\"", line);
                await intruder.KillAsync();
            }

            // A client certificate whose holder also has the cluster key, claiming to be primary 1.
            mark = backup.Log.Total;
            TlsCredentials credentials = cluster.Key.Tls!;
            PeerIdentity backupId = cluster.IdentityOf(backup.Id);
            using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
            {
                await socket.ConnectAsync(cluster.EndPointOf(backup.Id));
                var stream = await TlsChannel.ConnectAsync(socket, credentials, credentials.ClientIdentity, backupId, CancellationToken.None);
                using var connection = new Connection(socket, stream, backupId, "poser", Frame.DefaultMaxFrameBytes);
                HandshakeRejectedException refused = await Assert.ThrowsAsync<HandshakeRejectedException>(
                    () => Handshake.ConnectAsync(connection, cluster.Key, primaryId, backupId, CancellationToken.None));
                Assert.Equal(RejectCode.BadCertificate, refused.Code);
                Assert.Equal($"TLS: the peer claims to be {primaryId} but its certificate is issued to {credentials.ClientIdentity}", refused.Message);
                connection.ReleaseReceiveBuffer();
            }
            string posed = await WaitForLineAsync(backup.Log, mark, "claims to be primary", null);
            s.Log($"backup refused the poser: {posed}");
            Assert.Contains($"rejected: TLS: the peer claims to be {primaryId} but its certificate is issued to client 1", posed);

            BackupReport after = await StatusAsync(cluster, backup, primary);
            Assert.Equal(before.Complete, after.Complete);
            Assert.Equal(before.Primaries, after.Primaries);
            using BitListClient again = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, primaryId, 2);
            await again.AppendAsync(true);
            Assert.Equal(11, await again.CountAsync());
            Assert.Equal(1, primary.Starts);
        });

    private static Task<BackupReport> StatusAsync(FusionCluster cluster, NodeProcess backup, NodeProcess primary) =>
        BackupProbe.StatusAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id, (ushort)primary.Id);

    private static async Task<string> WaitForLineAsync(LineTail log, long mark, string text, LineTail? context)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (log.Since(mark).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line) return line;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"no line with \"{text}\" within 30 s; log since:\n{string.Join('\n', log.Since(mark))}" +
                                           (context is null ? "" : $"\nintruder:\n{context.Text(30)}"));
    }
}
