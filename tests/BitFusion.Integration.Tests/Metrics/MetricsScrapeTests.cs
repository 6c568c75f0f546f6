using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BitFusion.Harness;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Metrics;

/// <summary>
/// Real nodes started with <c>--metrics-port 0</c> serve the BitFusion meter in Prometheus text format: the figures
/// move with the work done (writes, recoveries, refused handshakes), each node in its own process.
/// </summary>
public sealed class MetricsScrapeTests
{
    private static readonly FusionClusterOptions Options = new() { Binary = HostBinary.Path, Arguments = _ => ["--metrics-port", "0"] };

    [Fact]
    public async Task FusionNodesCountWritesWireRefusalsAndARebuild()
    {
        ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
        await using FusionCluster cluster = await FusionCluster.StartAsync(config, Options);
        NodeProcess primary = cluster.Primaries[0], backup = cluster.Backups[0];
        await AppendAsync(cluster, primary.Id, null, 25);

        Scrape p = await Scrape.FromAsync(primary);
        Assert.Equal(25, p.Value("bitfusion_operations_total", ("mechanism", "fusion")));
        Assert.Equal(25, p.Value("bitfusion_update_duration_seconds_count", ("mechanism", "fusion")));
        Assert.Equal(25, p.Value("bitfusion_update_duration_seconds_bucket", ("mechanism", "fusion"), ("le", "+Inf")));
        Assert.True(p.Value("bitfusion_update_duration_seconds_sum", ("mechanism", "fusion")) > 0, p.Text);
        Assert.True(p.Value("bitfusion_wire_bytes_total", ("direction", "sent")) > 0, p.Text);
        Assert.True(p.Value("bitfusion_wire_frames_total", ("direction", "received")) >= 25, p.Text);
        Assert.Equal(0, p.Value("bitfusion_window_occupancy", ("mechanism", "fusion")));
        Assert.Equal(config.Window, p.Value("bitfusion_window_size", ("mechanism", "fusion")));
        Assert.Equal(0, p.Value("bitfusion_backup_lag", ("mechanism", "fusion")));
        Assert.Equal(0, p.Value("bitfusion_connection_errors_total", ("kind", "handshake_refused")));

        // A dialer with another cluster's key is refused, and the refusal is counted by kind.
        await Assert.ThrowsAnyAsync<Exception>(() => Dialer.ConnectAsync(cluster.EndPointOf(primary.Id), ClusterKey.Generate(),
            new PeerIdentity(NodeRole.Client, 7), cluster.IdentityOf(primary.Id), 1 << 20, CancellationToken.None));
        Assert.Equal(1, (await Scrape.FromAsync(primary)).Value("bitfusion_connection_errors_total", ("role", "primary"), ("kind", "handshake_refused")));

        Scrape b = await Scrape.FromAsync(backup);
        Assert.True(b.Value("bitfusion_wire_frames_total", ("direction", "received")) >= 25, b.Text);
        Assert.Equal(0, b.Value("bitfusion_connection_errors_total", ("role", "backup"), ("kind", "slow_consumer")));
        Assert.Equal(0, b.Value("bitfusion_connection_errors_total", ("role", "backup"), ("kind", "handshake_overflow")));

        await primary.RestartAsync(TimeSpan.FromSeconds(60));
        Scrape restarted = await Scrape.FromAsync(primary);
        Assert.Equal(1, restarted.Value("bitfusion_recoveries_total", ("kind", "rebuild")));
        Assert.Equal(1, restarted.Value("bitfusion_recovery_duration_seconds_count", ("kind", "rebuild")));
    }

    [Fact]
    public async Task ReplicationNodesCountWritesAndARejoinAtBothEnds()
    {
        ClusterConfig config = ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0);
        await using ReplicationCluster cluster = await ReplicationCluster.StartAsync(config, Options);
        NodeProcess manager = cluster.Managers[0], replica = cluster.Groups[0][1];
        await AppendAsync(cluster, manager.Id, 0, 20);
        Assert.Equal(20, (await Scrape.FromAsync(manager)).Value("bitfusion_operations_total", ("mechanism", "replication")));

        await replica.RestartAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, (await Scrape.FromAsync(replica)).Value("bitfusion_recoveries_total", ("kind", "rejoin")));
        // The manager counts the rejoin when the replica first reports itself serving, which may follow its ready line.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Scrape m;
        while ((m = await Scrape.FromAsync(manager)).Value("bitfusion_recoveries_total", ("kind", "rejoin_pause")) < 1 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(1, m.Value("bitfusion_recoveries_total", ("kind", "rejoin_pause")));
        Assert.Equal(1, m.Value("bitfusion_recovery_duration_seconds_count", ("kind", "rejoin_pause")));
    }

    [Fact]
    public async Task ABadOrTakenMetricsPortIsRefusedWithExitTwo()
    {
        string folder = Directory.CreateTempSubdirectory("bitfusion-metrics-").FullName;
        using var taken = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
            string file = Path.Combine(folder, "cluster.json");
            ClusterFile.Write(config, file);
            NodeConfig backup = config.Nodes.First(n => n.Role == "backup");
            taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            taken.Listen(1);
            foreach (string port in new[] { "-1", "70000", "x", ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture) })
            {
                var start = new ProcessStartInfo(HostBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string a in new[] { "backup", "-c", file, "--id", backup.Id.ToString(CultureInfo.InvariantCulture), "--metrics-port", port })
                    start.ArgumentList.Add(a);
                using Process process = Process.Start(start)!;
                Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                string context = $"--metrics-port {port}: exit {process.ExitCode}\n{await stdout}\n{await stderr}";
                Assert.True(process.ExitCode == 2, context);
                Assert.Contains("--metrics-port", await stderr);
                Assert.DoesNotContain("ready", await stdout);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task AppendAsync(ProcessCluster cluster, int server, int? group, int count)
    {
        using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(server), cluster.Key, cluster.IdentityOf(server), 50, group);
        for (int i = 0; i < count; i++) await client.AppendAsync(i % 2 == 0);
    }

    /// <summary>One scrape of a node's /metrics, parsed into samples.</summary>
    private sealed class Scrape(string text)
    {
        public string Text { get; } = text;

        public static async Task<Scrape> FromAsync(NodeProcess node)
        {
            long port = node.Ready!.Int64("metrics_port");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using HttpResponseMessage response = await http.GetAsync($"http://{node.Node.Host}:{port}/metrics");
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{node}: {response.StatusCode}\n{body}");
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            return new Scrape(body);
        }

        /// <summary>The value of the one sample named <paramref name="name"/> whose labels include every given pair.</summary>
        public double Value(string name, params (string Key, string Value)[] labels)
        {
            string[] matches = Text.Split('\n')
                .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                .Where(line => labels.All(l => line.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
                .ToArray();
            Assert.True(matches.Length == 1, $"{matches.Length} samples of {name} with {string.Join(",", labels)}:\n{Text}");
            return double.Parse(matches[0][(matches[0].LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
    }
}
