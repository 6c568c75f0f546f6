using System.Diagnostics;
using System.Reflection;
using Xunit.Abstractions;

namespace BitFusion.Tools.Tests;

/// <summary>
/// The library as a user gets it: packs BitFusion.Core and BitFusion.Net from this build into a fresh feed, builds
/// samples/FusedListSample against that feed (PackageReference, not ProjectReference), and runs it — it starts a fused
/// backup and two primaries as its own processes, SIGKILLs a primary and checks that the restarted one rebuilt exactly
/// the acknowledged list.
/// </summary>
public sealed class PackagedSampleTests(ITestOutputHelper output) : IDisposable
{
    private const int Bits = 5000;
    private static readonly TimeSpan StepLimit = TimeSpan.FromMinutes(3);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("bitfusion-packaged-sample-");

    [Fact]
    public async Task The_packaged_sample_keeps_its_list_across_a_killed_primary()
    {
        string root = RepositoryRoot();
        string configuration = typeof(PackagedSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BitFusionConfiguration").Value!;
        // A version no earlier run used, so no package cache can answer with a stale build of the library.
        string version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string feed = Path.Combine(_work.FullName, "artifacts", "packages");

        // This configuration's build of Core and Net (the test project builds both first): packed as is, not rebuilt,
        // and with the intermediate nuspec kept out of the source tree.
        foreach (string library in new[] { "src/Core/BitFusion.Core.csproj", "src/Net/BitFusion.Net.csproj" })
            await DotnetAsync(root, "pack", Path.Combine(root, library), "-c", configuration, "--no-build", "--no-restore", "-o", feed,
                $"-p:PackageVersion={version}", $"-p:NuspecOutputPath={Path.Combine(_work.FullName, "nuspec")}/");
        Assert.True(File.Exists(Path.Combine(feed, $"BitFusion.Core.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"BitFusion.Net.{version}.nupkg")));

        // The sample outside the repository (its own Directory.Build.props and nuget.config come along), restored into
        // a private package folder: the new packages from the feed, their dependencies from the packages this machine
        // already holds (the solution's restore put them there), so the build needs no network.
        string samples = Path.Combine(_work.FullName, "samples");
        CopyTree(Path.Combine(root, "samples"), samples);
        string project = Path.Combine(samples, "FusedListSample", "FusedListSample.csproj");
        string globalPackages = (await DotnetAsync(root, "nuget", "locals", "global-packages", "--list")).Split(": ", 2)[1].Trim();
        await DotnetAsync(samples, "build", project, "-c", "Release", $"-p:BitFusionVersion={version}",
            $"-p:RestoreSources={feed}", $"-p:RestorePackagesPath={Path.Combine(_work.FullName, "packages")}",
            $"-p:RestoreAdditionalProjectFallbackFolders={globalPackages}");

        string sample = Path.Combine(samples, "FusedListSample", "bin", "Release", "net10.0", "FusedListSample");
        string report = await RunAsync(sample, samples, "--bits", Bits.ToString());
        Assert.Contains($"[primary 0] acked {Bits} ", report);
        Assert.Contains($"[primary 0 again] opened primary 0 rebuilt length={Bits} ", report);
        Assert.Contains($"recovered list equals the acknowledged one: {Bits} bits", report);
    }

    /// <summary>The dotnet CLI; builds leave no build server running behind the test.</summary>
    private Task<string> DotnetAsync(string directory, params string[] args)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return RunAsync(host, directory, args[0] is "nuget" ? args : [.. args, "--nologo", "--disable-build-servers"]);
    }

    /// <summary>Runs a program to its end within <see cref="StepLimit"/>; its output goes to the test log, and a nonzero exit fails the test.</summary>
    private async Task<string> RunAsync(string program, string directory, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        // The test host's MSBuild variables would point a child build at the test run's own MSBuild node.
        foreach (string inherited in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
            info.Environment.Remove(inherited);
        output.WriteLine($"$ {program} {string.Join(' ', args)}");
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(StepLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        string text = await stdout, errors = await stderr;
        output.WriteLine(text);
        output.WriteLine(errors);
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(program)} {args[0]} exited with {process.ExitCode} (limit {StepLimit}):\n{text}\n{errors}");
        return text;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            // A developer's own build of the sample stays behind.
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")) continue;
            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "BitFusion.sln"))) return d.FullName;
        throw new InvalidOperationException($"no BitFusion.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => _work.Delete(recursive: true);
}
