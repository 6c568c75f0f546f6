using System.Diagnostics;
using BitFusion.Core.Kernels;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The binary under test reports the kernel tiers it runs, and they are the widest this CPU has (what this JIT-run
/// test process picks). Pointed at a native-AOT binary (BITFUSION_BIN), this fails for a build compiled for the
/// portable baseline, which runs the 128-bit tiers on any CPU.
/// </summary>
public class VersionTests
{
    [Fact]
    public async Task Version_names_the_widest_kernel_tiers_this_CPU_runs()
    {
        var start = new ProcessStartInfo(HostBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--version");
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{await stderr}");
        Assert.StartsWith("bitfusion ", output, StringComparison.Ordinal);
        Assert.Contains($"kernels xor={XorKernel.Best.Tier} gf={GfKernel.Best.Tier} code=", output, StringComparison.Ordinal);
    }
}
