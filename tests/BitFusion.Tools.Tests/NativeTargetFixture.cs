using System.Diagnostics;

namespace BitFusion.Tools.Tests;

/// <summary>Publishes BitFusion.HeapTarget as a native-AOT binary (with its .dbg symbols beside it) once for the tests that need it.</summary>
public sealed class NativeTargetFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"bitfusion-heaptarget-aot-{Environment.ProcessId}");

    public NativeTargetFixture()
    {
        string project = Path.Combine(RepositoryRoot(), "tests", "BitFusion.HeapTarget", "BitFusion.HeapTarget.csproj");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "publish", project, "-c", "Release", "-r", "linux-x64", "-o", _directory, "--nologo", "--disable-build-servers" })
            info.ArgumentList.Add(a);
        using Process publish = Process.Start(info)!;
        Task<string> output = publish.StandardOutput.ReadToEndAsync();
        Task<string> error = publish.StandardError.ReadToEndAsync();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(5)) || publish.ExitCode != 0)
            throw new InvalidOperationException($"native-AOT publish of the heap target failed:\n{output.Result}\n{error.Result}");
        Executable = Path.Combine(_directory, "BitFusion.HeapTarget");
    }

    public string Executable { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is harmless.
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BitFusion.sln"))) return d.FullName;
        throw new InvalidOperationException($"no BitFusion.sln above {AppContext.BaseDirectory}");
    }
}
