using System.Text.RegularExpressions;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A restarted backup says on its standard output when it holds every primary again (the experiment times a
/// re-encode by that line instead of polling the backup): the line comes once every primary has loaded it, with the
/// time since it started listening, and by then a Status request finds it complete and holding each primary's
/// length.
/// </summary>
public sealed partial class ReencodedLineTests(ITestOutputHelper output)
{
    private const int Primaries = 3, Appends = 40;

    [Fact]
    public Task ARestartedBackupPrintsWhenItHoldsEveryPrimaryAgain() =>
        Scenario.RunAsync(output, "a restarted backup's reencoded line", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(Primaries, 2, 0, 0, "127.0.0.1", 0));
            for (int p = 0; p < Primaries; p++)
            {
                using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[p].Id), cluster.Key,
                    cluster.IdentityOf(cluster.Primaries[p].Id), (ushort)(10 + p));
                for (int i = 0; i < Appends + p; i++) await client.AppendAsync(i % 3 == 0);
            }

            NodeProcess backup = cluster.Backups[1];
            await backup.RestartAsync(TimeSpan.FromSeconds(60));
            string line = await backup.Reencoded.WaitAsync(TimeSpan.FromSeconds(60));
            s.Log(line);
            Match m = ReencodedLine().Match(line);
            Assert.True(m.Success, $"not a reencoded line of backup 1 (node {backup.Id}): \"{line}\"");
            Assert.Equal(backup.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[1].Value);
            Assert.True(long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, line);

            BackupReport report = await BackupProbe.StatusAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id, (ushort)cluster.Primaries[0].Id);
            Assert.True(report.Complete, "the backup printed its reencoded line before it held every primary");
            for (int p = 0; p < Primaries; p++) Assert.Equal(Appends + p, report.Primaries[p].Length);
        });

    [GeneratedRegex(@"^reencoded backup 1 \(node (\d+)\) reencode_us=(\d+)$")]
    private static partial Regex ReencodedLine();
}
