using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using BitFusion.Core.Galois;
using BitFusion.Net.Diagnostics;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>
/// A restarted fusion primary is timed from opening its list to serving it, and a restarted backup from its ready line
/// to holding every primary again; in a fresh native process most of either used to be the runtime's first-call costs
/// (docs/benchmarks.md, "A fresh process's first milliseconds"): the first socket starts the socket engine's event
/// thread and spins until it runs, the first completion goes to a thread-pool worker that does not exist yet, the first
/// timer starts the timer thread, the first HMAC fetches the algorithm from OpenSSL, and the first use of a few tables
/// builds them. So a primary or backup process starts, before it even parses its command line, one thread that pays
/// those costs while the main thread parses, loads the configuration and derives the role keys: a loopback connection
/// on an ephemeral port, a timer, the role and GF(2^8) tables, the metrics, one nonce and one HMAC on throw-away data,
/// and a thread-pool worker per processor. The role waits for it (<see cref="Finish"/>) before it opens its list or
/// accepts: left to race the recovery, it finished after the list was opened in most restarts, and the recovery then
/// waited for the engine's start and for the warm-up's first OpenSSL calls anyway, on a CPU shared with the warm-up
/// (docs/benchmarks.md, "A restarted primary's first dial"). The wait is part of the process's start (the ready line's
/// <c>start_us</c>), not of its recovery. Its sockets are not <see cref="Connection"/>s, so the node's wire counters
/// never see them. A failure here (no loopback, say) is left for the real connections to report.
/// </summary>
internal static class FusionWarmup
{
    /// <summary>
    /// How long <see cref="Finish"/> waits at most: the warm-up is a few milliseconds of work, and a role that finds it
    /// stuck (a machine starved for seconds) starts anyway and pays what is left inside its own interval.
    /// </summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan WorkerWait = TimeSpan.FromMilliseconds(20);

    private static Thread? _thread;

    public static void StartFor(string[] args)
    {
        if (args is not ["primary" or "backup", ..]) return;
        _thread = new Thread(Run) { IsBackground = true, Name = "fusion warm-up" };
        _thread.Start();
    }

    /// <summary>Waits for the warm-up thread to end (at most <see cref="MaxWait"/>); returns how long it waited.</summary>
    public static TimeSpan Finish()
    {
        long start = Stopwatch.GetTimestamp();
        _thread?.Join(MaxWait);
        return Stopwatch.GetElapsedTime(start);
    }

    // The socket engine first: it takes the longest (two threads to start), while the first HMAC waits for OpenSSL,
    // which the main thread loads meanwhile to derive the role keys.
    private static void Run()
    {
        try
        {
            LoopbackConnection();
        }
        catch (SocketException)
        {
        }
        using (var timer = new Timer(static _ => { }))
            timer.Change(1, Timeout.Infinite);
        _ = RoleTable.Admits(NodeRole.Backup, NodeRole.Primary);
        _ = BitFusionMetrics.Meter;
        _ = Gf256.Mul(2, 3);
        Span<byte> scratch = stackalloc byte[32];
        RandomNumberGenerator.Fill(scratch);
        HMACSHA256.HashData(scratch, scratch, scratch);
        StartWorkers();
    }

    /// <summary>
    /// The thread pool starts a worker only when work finds none idle; the f dials' completions arrive together, so
    /// all but the first waited for a thread to be made. One work item per processor, each held until all run, makes
    /// that many workers exist (bounded: a pool that will not grow is not waited for).
    /// </summary>
    private static void StartWorkers()
    {
        var running = new CountdownEvent(Environment.ProcessorCount);
        for (int i = 0; i < Environment.ProcessorCount; i++)
            ThreadPool.UnsafeQueueUserWorkItem(static r =>
            {
                r.Signal();
                r.Wait(WorkerWait);
            }, running, preferLocal: false);
        running.Wait(WorkerWait);
    }

    /// <summary>
    /// A connection as the dialer makes one (a dual-mode socket, asynchronous connect), accepted and closed: it
    /// starts the socket engine, and a thread-pool worker runs its completion.
    /// </summary>
    private static void LoopbackConnection()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var dialer = new Socket(SocketType.Stream, ProtocolType.Tcp);
        Task connected = dialer.ConnectAsync(listener.LocalEndPoint!);
        using Socket accepted = listener.Accept();
        connected.GetAwaiter().GetResult();
    }
}
