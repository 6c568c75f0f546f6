namespace BitFusion.Harness;

/// <summary>
/// Finds the <c>bitfusion</c> executable: an explicit path, else <see cref="EnvironmentVariable"/>, else the
/// native-AOT publish output, else the apphost of a Release or Debug build. An explicit path or variable that names
/// nothing is an error rather than a reason to fall back, so a run never silently uses a different binary.
/// </summary>
internal static class BitfusionBinary
{
    public const string EnvironmentVariable = "BITFUSION_BIN";

    private const string HostProject = "src/Host/BitFusion.Host.csproj";

    /// <summary>The candidates below a repository root, best first.</summary>
    public static IReadOnlyList<string> Candidates(string repositoryRoot)
    {
        string host = Path.Combine(repositoryRoot, "src", "Host", "bin");
        return
        [
            Path.Combine(host, "Release", "net10.0", "linux-x64", "publish", "bitfusion"),
            Path.Combine(host, "Release", "net10.0", "linux-x64", "bitfusion"),
            Path.Combine(host, "Debug", "net10.0", "linux-x64", "bitfusion"),
        ];
    }

    /// <param name="explicitPath">Used as is when given.</param>
    /// <param name="searchFrom">Where to start looking for the repository root; defaults to this assembly's folder, then the working directory.</param>
    public static string Locate(string? explicitPath = null, string? searchFrom = null) =>
        Locate(explicitPath, Environment.GetEnvironmentVariable(EnvironmentVariable),
            new[] { searchFrom, AppContext.BaseDirectory, Directory.GetCurrentDirectory() }.OfType<string>());

    internal static string Locate(string? explicitPath, string? fromEnvironment, IEnumerable<string> searchFrom)
    {
        if (explicitPath is not null) return Require(explicitPath, "the explicit path");
        if (fromEnvironment is { Length: > 0 }) return Require(fromEnvironment, EnvironmentVariable);

        var looked = new List<string>();
        foreach (string start in searchFrom)
        {
            if (FindRepositoryRoot(start) is not { } root)
            {
                looked.Add($"{start} (no {HostProject} in it or any parent)");
                continue;
            }
            foreach (string candidate in Candidates(root))
            {
                if (IsExecutable(candidate)) return candidate;
                looked.Add(candidate);
            }
        }
        throw new FileNotFoundException(
            $"Cannot find the bitfusion binary. Looked at:\n  - {string.Join("\n  - ", looked.Distinct())}\n" +
            $"Build it (dotnet build src/Host, or dotnet publish -c Release src/Host) or set {EnvironmentVariable}.");
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds the Host project.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (DirectoryInfo? dir = new(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, HostProject))) return dir.FullName;
        return null;
    }

    private static string Require(string path, string source)
    {
        string full = Path.GetFullPath(path);
        if (!IsExecutable(full))
            throw new FileNotFoundException($"The bitfusion binary named by {source} is not an executable file: {full}", full);
        return full;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
