using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Net.Sockets;
using BitFusion.Heap.Nettrace;
using Microsoft.Diagnostics.NETCore.Client;

namespace BitFusion.Heap.Dump;

/// <summary>
/// Takes one heap walk from a live process: opens an EventPipe session with the heap-dump keywords (which makes
/// the runtime induce a blocking gen-2 GC and walk the heap inside it), reads the stream until that GC has
/// ended, stops the session and returns the walk. Every failure becomes a <see cref="HeapProfilerException"/>.
/// </summary>
internal static class HeapDumpCollector
{
    public static HeapWalk Collect(int processId, int bufferMegabytes, TimeSpan timeout)
    {
        EnsureProcessExists(processId);
        var providers = new[] { new EventPipeProvider(ClrEventIds.Provider, EventLevel.Verbose, ClrEventIds.HeapDumpKeywords) };
        EventPipeSession session = Start(processId, new EventPipeSessionConfiguration(providers, bufferMegabytes, requestRundown: false, requestStackwalk: false));
        using (session)
        {
            var listener = new HeapDumpListener();
            var reader = new NettraceReader(session.EventStream, listener);
            int stopping = 0;
            void StopOnce()
            {
                // Stop() waits for the runtime's answer while the runtime may be flushing into the stream this
                // thread reads, so it runs elsewhere.
                if (Interlocked.Exchange(ref stopping, 1) == 0) ThreadPool.QueueUserWorkItem(_ => TryStop(session));
            }
            listener.HeapWalkEnded += StopOnce;
            using var deadline = new Timer(_ => StopOnce(), null, timeout, Timeout.InfiniteTimeSpan);
            try
            {
                reader.ReadToEnd();
            }
            catch (Exception e) when (e is NettraceFormatException { Truncated: true } or IOException or ObjectDisposedException)
            {
                if (!IsRunning(processId))
                    throw new HeapProfilerException(HeapProfilerError.ProcessExited, $"Process {processId} exited during the heap dump.", e);
                throw new HeapProfilerException(HeapProfilerError.ProcessExited, $"The event stream from process {processId} broke off: {e.Message}", e);
            }
            if (reader.LostEvents > 0)
                throw new HeapProfilerException(HeapProfilerError.LossyDump,
                    $"The runtime dropped {reader.LostEvents} events during the heap dump, so it is incomplete. Try again, or give the session a larger buffer (--buffer-mb).");
            try
            {
                return listener.Dump.Select();
            }
            catch (HeapProfilerException e) when (e.Error == HeapProfilerError.NoHeapWalk && !listener.Dump.Gcs.Exists(g => g.End is not null))
            {
                throw new HeapProfilerException(HeapProfilerError.Timeout,
                    $"Process {processId} ran no GC with a heap walk within {timeout.TotalSeconds:0.#} s of the session's start. {e.Message}", e);
            }
        }
    }

    private static EventPipeSession Start(int processId, EventPipeSessionConfiguration configuration)
    {
        try
        {
            return new DiagnosticsClient(processId).StartEventPipeSession(configuration);
        }
        catch (Exception e) when (IsPermissionProblem(e))
        {
            throw new HeapProfilerException(HeapProfilerError.PermissionDenied,
                $"Permission denied opening the diagnostics port of process {processId}: run bitfusion-heap as the same user as the process, or as root.", e);
        }
        catch (ServerNotAvailableException e)
        {
            if (!IsRunning(processId)) throw new HeapProfilerException(HeapProfilerError.ProcessExited, $"Process {processId} exited before the heap dump began.", e);
            throw new HeapProfilerException(HeapProfilerError.NotDotNetProcess,
                $"Process {processId} ({NameOf(processId)}) has no .NET diagnostics port: it is not a .NET process, or it runs with " +
                "DOTNET_EnableDiagnostics=0, or it is a native-AOT binary built without <EventSourceSupport>true</EventSourceSupport>, " +
                "or it has a different TMPDIR than this tool.", e);
        }
        catch (Exception e) when (e is DiagnosticsClientException or IOException or SocketException or EndOfStreamException)
        {
            // The runtime enables the session and induces the GC before it answers, so a process that dies in
            // that GC fails the start itself; its connection may break while it is still tearing down, so give it
            // a moment to finish exiting before calling the refusal anything else.
            if (ExitsWithin(processId, TimeSpan.FromSeconds(2))) throw new HeapProfilerException(HeapProfilerError.ProcessExited, $"Process {processId} exited during the heap dump.", e);
            throw new HeapProfilerException(HeapProfilerError.Unsupported, $"Process {processId} refused the EventPipe session: {e.Message}", e);
        }
    }

    private static bool IsPermissionProblem(Exception e) => e switch
    {
        UnauthorizedAccessException => true,
        SocketException s => s.SocketErrorCode == SocketError.AccessDenied,
        Win32Exception w => w.NativeErrorCode == 13,
        _ => e.InnerException is { } inner && IsPermissionProblem(inner),
    };

    private static void TryStop(EventPipeSession session)
    {
        try
        {
            session.Stop();
        }
        catch (Exception e) when (e is ServerNotAvailableException or IOException or ObjectDisposedException or DiagnosticsClientException)
        {
            // The process is gone or the session already ended; the reader sees the stream end and reports it.
        }
    }

    private static void EnsureProcessExists(int processId)
    {
        if (processId <= 0) throw new HeapProfilerException(HeapProfilerError.ProcessNotFound, $"{processId} is not a process id.");
        if (!IsRunning(processId)) throw new HeapProfilerException(HeapProfilerError.ProcessNotFound, $"No process with id {processId} is running.");
    }

    /// <summary>True while the process runs; a zombie (exited, not yet reaped by its parent) counts as gone.</summary>
    private static bool ExitsWithin(int processId, TimeSpan patience)
    {
        long deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        while (IsRunning(processId))
        {
            if (Environment.TickCount64 >= deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    internal static bool IsRunning(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{processId}/stat");
                int close = stat.LastIndexOf(')');
                return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        try
        {
            using Process p = Process.GetProcessById(processId);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
        catch (Win32Exception)
        {
            return true;
        }
    }

    private static string NameOf(int processId)
    {
        try
        {
            using Process p = Process.GetProcessById(processId);
            return p.ProcessName;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception)
        {
            return "unknown";
        }
    }
}
