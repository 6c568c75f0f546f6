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

    /// <summary>
    /// SIGSTOP, then waits until every thread of <paramref name="pid"/> is stopped. kill() only queues the stop: one of
    /// the process's threads must be scheduled to begin the group stop, and until then the others run on. On a loaded
    /// machine that took long enough for a paused primary to answer a write sent after kill() returned.
    /// </summary>
    public static void StopAndWait(int pid, TimeSpan timeout)
    {
        Send(pid, Stop);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!AllThreadsStopped(pid))
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"process {pid} did not stop within {timeout.TotalSeconds:0.#} s of SIGSTOP");
            Thread.Sleep(1);
        }
    }

    private static bool AllThreadsStopped(int pid)
    {
        string[] threads;
        try
        {
            threads = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }
        foreach (string thread in threads)
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(thread, "stat"));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                continue;
            }
            // "tid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
            int close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 >= stat.Length) return false;
            char state = stat[close + 2];
            if (state is not ('T' or 't' or 'Z' or 'X')) return false;
        }
        return true;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
