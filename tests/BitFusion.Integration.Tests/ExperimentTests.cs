using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace BitFusion.Integration.Tests;

/// <summary>A short `bitfusion experiment` run end to end: real processes, SIGKILLs, the heap tool, the report.</summary>
public class ExperimentTests
{
    private static readonly string HeapBinary = typeof(ExperimentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BitFusionHeapBinary").Value!;

    [Fact]
    public async Task Short_run_writes_report_csvs_and_plots_and_verifies_every_recovery()
    {
        string output = Directory.CreateTempSubdirectory("bitfusion-experiment-").FullName;
        try
        {
            (int exit, string stdout, string stderr) = await RunAsync(output, "--ops", "200", "--step", "100", "--groups", "2", "--json");
            string context = $"exit {exit}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}";
            Assert.True(exit == 0, context);
            foreach (string file in new[] { "report.md", "updates.csv", "recoveries.csv", "space.csv", "wire.csv", "summary.json",
                         "space-vs-elements.png", "recovery-vs-config.png", "update-time-cdf.png" })
                Assert.True(File.Exists(Path.Combine(output, file)) && new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing\n{context}");

            string[] recoveryLines = File.ReadAllLines(Path.Combine(output, "recoveries.csv"));
            string[] header = recoveryLines[0].Split(',');
            string[] recoveries = recoveryLines[1..];
            // Per mechanism, 2 crash rounds: fusion kills 2 primaries per round, replication 2 groups × 2 replicas.
            Assert.Equal(2 * 2, recoveries.Count(r => r.StartsWith("fusion,", StringComparison.Ordinal)));
            Assert.Equal(2 * 4, recoveries.Count(r => r.StartsWith("replication,", StringComparison.Ordinal)));
            Assert.All(recoveries, r => Assert.Equal("True", r.Split(',')[Array.IndexOf(header, "verified")]));
            // A fusion primary's sample carries its ready line's phases, which add up to no more than its reported time.
            Assert.All(recoveries.Where(r => r.StartsWith("fusion,", StringComparison.Ordinal)).Select(r => r.Split(',')), r =>
            {
                double Field(string name) => double.Parse(r[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
                Assert.Equal("primary alone", r[Array.IndexOf(header, "crashed")]);
                double phases = Field("connect_micros") + Field("reconcile_micros") + Field("status_micros") + Field("cut_micros") + Field("solve_micros");
                Assert.InRange(phases, 1, Field("reported_micros") + 5);
                Assert.True(Field("attempts") >= 1, string.Join(",", r));
            });

            string[] updates = File.ReadAllLines(Path.Combine(output, "updates.csv"))[1..];
            Assert.Equal(2 * 200, updates.Count(u => u.StartsWith("fusion,2,1,client,", StringComparison.Ordinal)));
            Assert.Equal(2 * 200, updates.Count(u => u.StartsWith("fusion,2,1,primary,", StringComparison.Ordinal)));
            Assert.Equal(2 * 200, updates.Count(u => u.StartsWith("replication,2,1,manager,", StringComparison.Ordinal)));

            string[] space = File.ReadAllLines(Path.Combine(output, "space.csv"))[1..];
            Assert.Contains(space, s => s.StartsWith("fusion,2,1,200,backup 0,", StringComparison.Ordinal) && long.Parse(s.Split(',')[5]) > 0);
            Assert.Contains(space, s => s.StartsWith("replication,2,1,200,group 1 replica 1 (backup),", StringComparison.Ordinal));

            string[] wire = File.ReadAllLines(Path.Combine(output, "wire.csv"))[1..];
            foreach (string mechanism in new[] { "fusion", "replication" })
            {
                string[] row = Assert.Single(wire, w => w.StartsWith($"{mechanism},2,1,update,", StringComparison.Ordinal)).Split(',');
                Assert.True(double.Parse(row[4], CultureInfo.InvariantCulture) > 0 && double.Parse(row[5], CultureInfo.InvariantCulture) >= 2, $"{mechanism}: {string.Join(",", row)}");
            }

            string report = File.ReadAllText(Path.Combine(output, "report.md"));
            Assert.Contains("0 mismatches", report);
            Assert.Contains("study", report);
            Assert.Contains("Where fusion's recovery time goes", report);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Rtt_sweep_measures_both_mechanisms_through_the_proxies_and_verifies_every_recovery()
    {
        string output = Directory.CreateTempSubdirectory("bitfusion-experiment-rtt-").FullName;
        try
        {
            (int exit, string stdout, string stderr) = await RunAsync(output, "--ops", "40", "--step", "40", "--groups", "1", "--rtt", "0,1");
            string context = $"exit {exit}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}";
            Assert.True(exit == 0, context);
            foreach (string file in new[] { "rtt.csv", "update-vs-rtt.png", "recovery-vs-rtt.png" })
                Assert.True(File.Exists(Path.Combine(output, file)) && new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing\n{context}");

            string[][] rows = File.ReadAllLines(Path.Combine(output, "rtt.csv"))[1..].Select(r => r.Split(',')).ToArray();
            foreach (string mechanism in new[] { "fusion", "replication" })
                foreach (string path in new[] { "direct", "0", "1" })
                {
                    string[] row = Assert.Single(rows, r => r[0] == mechanism && r[3] == path);
                    // One crash round: fusion's one primary, replication's two replicas, each verified.
                    Assert.Equal(mechanism == "fusion" ? "1" : "2", row[8]);
                    Assert.Equal(row[8], row[9]);
                    Assert.True(double.Parse(row[5], CultureInfo.InvariantCulture) > 0, string.Join(",", row));
                }
            // The proxy with 1 ms of delay must really delay: its probe round trip exceeds 1 ms.
            Assert.True(double.Parse(rows.First(r => r[3] == "1")[4], CultureInfo.InvariantCulture) >= 1000, context);
            Assert.Contains("Over slower networks", File.ReadAllText(Path.Combine(output, "report.md")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_a_clear_error_and_no_output()
    {
        string output = Path.Combine(Path.GetTempPath(), $"bitfusion-experiment-bad-{Guid.NewGuid():N}");
        (int exit, _, string stderr) = await RunAsync(output, "--ops", "100", "--step", "500");
        Assert.Equal(2, exit);
        Assert.Contains("--step must be", stderr);
        Assert.False(Directory.Exists(output));
        (exit, _, stderr) = await RunAsync(output, "--faults", "4");
        Assert.Equal(2, exit);
        Assert.Contains("--faults", stderr);
        foreach (string rtt in new[] { "0,abc", "-1", "1,1", "2000", "" })
        {
            (exit, _, stderr) = await RunAsync(output, "--rtt", rtt);
            Assert.True(exit == 2, $"--rtt '{rtt}': exit {exit}");
            Assert.Contains("--rtt", stderr);
            Assert.False(Directory.Exists(output));
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string output, params string[] arguments)
    {
        var start = new ProcessStartInfo(HostBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("experiment");
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(output);
        start.ArgumentList.Add("--heap-tool");
        start.ArgumentList.Add(HeapBinary);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"experiment did not finish in 5 minutes:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
