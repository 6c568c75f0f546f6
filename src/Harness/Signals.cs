using System.Runtime.InteropServices;

namespace BitFusion.Harness;

/// <summary>POSIX signals .NET has no API for: stopping and continuing a process, to freeze a node mid-stream.</summary>
internal static partial class Signals
{
    public const int Stop = 19;
    public const int Continue = 18;

    public static void Send(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Stopping a process needs Linux signal numbers.");
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
