using System.Diagnostics;

namespace BitFusion.Harness.Namespaces;

/// <summary>Runs iproute2's <c>ip</c>; a failure is an exception carrying the command and its error output.</summary>
internal static class IpCommand
{
    /// <summary>Why network namespaces cannot be made here (not Linux, not root, no <c>ip</c>), or null if they can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (!Environment.IsPrivilegedProcess) return "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)";
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Append("/usr/sbin").Append("/sbin").Any(d => File.Exists(Path.Combine(d, "ip"))))
            return "iproute2's `ip` is not installed (apt-get install iproute2)";
        return null;
    }

    /// <summary>Runs <c>ip</c> with the arguments and returns its standard output.</summary>
    public static string Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("ip")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException("ip did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        stdout.Wait();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"`ip {string.Join(' ', arguments)}` failed with code {process.ExitCode}: {stderr.Trim()}");
        return stdout.Result;
    }
}
