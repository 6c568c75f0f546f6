using System.Diagnostics;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>Runs the real bitfusion binary once and returns its exit code and output.</summary>
internal static class Bitfusion
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(HostBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove(Net.Transport.ClusterKey.EnvironmentVariable);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bitfusion {string.Join(' ', arguments)} did not exit within 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Exit 2 and exactly one line on stderr, an error naming <paramref name="named"/>, and no stack trace.</summary>
    public static void AssertRefused((int Exit, string Stdout, string Stderr) run, string named)
    {
        string[] lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(run.Exit == 2, $"exit {run.Exit}; stderr: {run.Stderr}");
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}: {run.Stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(named, lines[0]);
        Assert.DoesNotContain("   at ", run.Stderr);
    }
}
