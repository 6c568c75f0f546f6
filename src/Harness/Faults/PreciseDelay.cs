using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BitFusion.Harness.Faults;

/// <summary>
/// Waits until a <see cref="Stopwatch"/> timestamp with tens of microseconds of precision, which the proxy's
/// sub-millisecond delays need: .NET timers count whole milliseconds (a 0.1 ms <c>Task.Delay</c> does not wait at
/// all, a 2.5 ms one waits 3 ms or more, later on a busy machine). One clock thread sleeps with <c>nanosleep</c>
/// (timer slack lowered to 1 ns) until the earliest waiter is due, then completes it on its own thread, so the
/// waiter's next step (the proxy's send) runs at once instead of queuing for the thread pool. The thread blocks
/// while nothing waits.
/// </summary>
internal static partial class PreciseDelay
{
    private const int PrSetTimerSlack = 29;
    // A waiter due earlier than the one being slept for (another proxy's shorter delay) waits at most this much extra.
    private static readonly long MaxNap = Stopwatch.Frequency / 5000;
    private static readonly object s_gate = new();
    private static readonly PriorityQueue<TaskCompletionSource, long> s_waiters = new();
    private static Thread? s_clock;

    public static async Task UntilAsync(long due, CancellationToken cancellation)
    {
        if (due - Stopwatch.GetTimestamp() <= 0) return;
        // Continuations run where the clock completes them: on the clock thread, once it has let go of the lock.
        var done = new TaskCompletionSource();
        using CancellationTokenRegistration _ = cancellation.Register(() => done.TrySetCanceled(cancellation));
        lock (s_gate)
        {
            s_waiters.Enqueue(done, due);
            if (s_clock is null)
            {
                s_clock = new Thread(Run) { IsBackground = true, Name = "fault proxy clock" };
                s_clock.Start();
            }
            Monitor.Pulse(s_gate);
        }
        await done.Task.ConfigureAwait(false);
    }

    private static void Run()
    {
        if (OperatingSystem.IsLinux()) _ = SetTimerSlack(PrSetTimerSlack, 1, 0, 0, 0);
        var due = new List<TaskCompletionSource>();
        while (true)
        {
            long nap;
            lock (s_gate)
            {
                while (s_waiters.Count == 0) Monitor.Wait(s_gate);
                long now = Stopwatch.GetTimestamp();
                while (s_waiters.TryPeek(out TaskCompletionSource? waiter, out long at) && at <= now) due.Add(s_waiters.Dequeue());
                nap = s_waiters.TryPeek(out _, out long next) ? Math.Min(next - now, MaxNap) : 0;
            }
            foreach (TaskCompletionSource waiter in due) waiter.TrySetResult();
            due.Clear();
            if (nap > 0) Nap(nap);
        }
    }

    private static void Nap(long ticks)
    {
        long nanoseconds = (long)(ticks * (1e9 / Stopwatch.Frequency));
        if (OperatingSystem.IsLinux())
        {
            var request = new TimeSpec(nanoseconds / 1_000_000_000, nanoseconds % 1_000_000_000);
            _ = NanoSleep(in request, 0);
        }
        else Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeSpec(long seconds, long nanoseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Nanoseconds = nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(in TimeSpec request, nint remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int SetTimerSlack(int option, nuint value, nuint arg3, nuint arg4, nuint arg5);
}
