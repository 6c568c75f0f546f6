using System.Diagnostics;
using System.Text.Json;
using BitFusion.Harness;

namespace BitFusion.Host.Experiment;

/// <summary>Runs `bitfusion-heap PID --json` and returns the bytes the process's backup objects retain.</summary>
internal sealed class HeapTool(string path)
{
    public const string EnvironmentVariable = "BITFUSION_HEAP";

    public string Path { get; } = path;

    /// <summary>Finds the tool: an explicit path, BITFUSION_HEAP, beside the bitfusion binary, or the repository's build outputs.</summary>
    public static HeapTool Locate(string? explicitPath, string bitfusionBinary)
    {
        var looked = new List<string>();
        IEnumerable<string> Candidates()
        {
            if (explicitPath is not null) yield return explicitPath;
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) yield return env;
            yield return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(bitfusionBinary) ?? ".", "bitfusion-heap");
            foreach (string start in new[] { System.IO.Path.GetDirectoryName(bitfusionBinary) ?? ".", Directory.GetCurrentDirectory() })
            {
                if (BitfusionBinary.FindRepositoryRoot(start) is not { } root) continue;
                string bin = System.IO.Path.Combine(root, "tools", "BitFusion.Heap", "bin");
                yield return System.IO.Path.Combine(bin, "Release", "net10.0", "linux-x64", "publish", "bitfusion-heap");
                yield return System.IO.Path.Combine(bin, "Release", "net10.0", "linux-x64", "bitfusion-heap");
                yield return System.IO.Path.Combine(bin, "Release", "net10.0", "bitfusion-heap");
                yield return System.IO.Path.Combine(bin, "Debug", "net10.0", "bitfusion-heap");
            }
        }
        foreach (string candidate in Candidates())
        {
            if (File.Exists(candidate)) return new HeapTool(System.IO.Path.GetFullPath(candidate));
            looked.Add(candidate);
        }
        throw new FileNotFoundException(
            "Cannot find bitfusion-heap, which the experiment needs to measure space. Looked at:\n  - " + string.Join("\n  - ", looked.Distinct()) +
            $"\nBuild it (dotnet build -c Release BitFusion.sln, or dotnet publish tools/BitFusion.Heap -c Release) or set {EnvironmentVariable}.");
    }

    /// <summary>The bytes retained by every backup object (FusedBackup, PackedBitList) in the process, summed.</summary>
    public async Task<long> RetainedBackupBytesAsync(int pid, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--json");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Path}");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellation);
        Task<string> errors = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"bitfusion-heap {pid} failed (exit {process.ExitCode}): {(await errors).Trim()}");
        using JsonDocument report = JsonDocument.Parse(await output);
        long total = 0;
        foreach (JsonElement backup in report.RootElement.GetProperty("backups").EnumerateArray())
            total += backup.GetProperty("retainedBytes").GetInt64();
        return total;
    }
}
