using System.Diagnostics;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The client's timeout always fires: against a primary waiting on a SIGSTOPped backup, a SIGSTOPped primary, and
/// a manager waiting on a SIGSTOPped data node, each request fails with the client's own TimeoutException (a write
/// saying its outcome is unknown), and `bitfusion client append` exits 3 instead of hanging. Every paused process is
/// resumed in a finally.
/// </summary>
public sealed class ClientTimeoutTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public Task FusionClientTimesOutOnAPausedBackupOrPrimary() =>
        Scenario.RunAsync(output, "client timeouts against paused fusion nodes", async s =>
        {
            // Suspicion far beyond the client's timeout: here the client must give up first (SuspectedBackupTests
            // covers the primary answering once it suspects the backup).
            ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
            config.SuspectAfterMs = 60_000;
            FusionCluster cluster = await s.StartClusterAsync(config);
            NodeProcess primary = cluster.Primaries[0], backup = cluster.Backups[0];
            using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), 1, timeout: Timeout);
            Assert.Equal(1, await client.AppendAsync(true));

            await WhilePausedAsync(backup, async () =>
            {
                await WriteTimesOutAsync(client, s.Log);
                (int exit, string stderr) = await CliAppendAsync(cluster.ConfigPath, primary.Id);
                s.Log($"bitfusion client append exited {exit}: {stderr.Trim()}");
                Assert.Equal(3, exit);
                Assert.Contains("outcome unknown", stderr);
            });
            await WhilePausedAsync(primary, async () =>
            {
                await WriteTimesOutAsync(client, s.Log);
                TimeoutException read = await Assert.ThrowsAsync<TimeoutException>(() => client.CountAsync().AsTask().WaitAsync(Patience));
                Assert.Contains("no answer to Count", read.Message);
            });
        });

    [Fact]
    public Task ReplicationClientTimesOutOnAPausedDataNode() =>
        ReplicationRun.RunAsync(output, "client timeout against a paused data node", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0));
            using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Managers[0].Id), cluster.Key, cluster.IdentityOf(cluster.Managers[0].Id), 1,
                group: 0, timeout: Timeout);
            Assert.Equal(1, await client.AppendAsync(true));
            await WhilePausedAsync(cluster.Groups[0][1], () => WriteTimesOutAsync(client, run.Log));
        });

    private static async Task WriteTimesOutAsync(BitListClient client, Action<string> log)
    {
        TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => client.AppendAsync(false).AsTask().WaitAsync(Patience));
        log(e.Message);
        Assert.Contains($"within {Timeout.TotalSeconds:0.###} s", e.Message);
        Assert.Contains("outcome unknown", e.Message);
    }

    private static async Task WhilePausedAsync(NodeProcess node, Func<Task> body)
    {
        node.Suspend();
        try
        {
            await body();
        }
        finally
        {
            node.Resume();
        }
    }

    private static async Task<(int Exit, string Stderr)> CliAppendAsync(string config, int node)
    {
        var start = new ProcessStartInfo(HostBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "client", "-c", config, "-n", node.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "1", "append", "1" })
            start.ArgumentList.Add(a);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"bitfusion client append hung for {Patience.TotalSeconds:0} s: {await stdout} {await stderr}");
        }
        await stdout;
        return (process.ExitCode, await stderr);
    }
}
