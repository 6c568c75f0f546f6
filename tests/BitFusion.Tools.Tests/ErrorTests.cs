using System.Diagnostics;
using BitFusion.Heap;

namespace BitFusion.Tools.Tests;

public class ErrorTests
{
    private static HeapProfilerError ErrorOf(int pid) =>
        Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(pid, new HeapProfileOptions())).Error;

    [Fact]
    public void No_such_process()
    {
        int pid = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim()) + 1;
        Assert.Equal(HeapProfilerError.ProcessNotFound, ErrorOf(pid));
        Assert.Equal(HeapProfilerError.ProcessNotFound, ErrorOf(0));
    }

    [Fact]
    public void Not_a_dotnet_process()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var e = Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(sleeper.Id, new HeapProfileOptions()));
            Assert.Equal(HeapProfilerError.NotDotNetProcess, e.Error);
            Assert.Contains("sleep", e.Message);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    /// <summary>The target dies in its finalizer right after the induced GC. Its heap is large enough that the walk's
    /// events take far longer to stream than the finalizer takes to run, so the session never completes.</summary>
    [Fact]
    public void The_process_exits_during_the_dump()
    {
        using TargetProcess target = TargetProcess.StartJit("list:65", "objects:300000", "exit-on-gc");
        var e = Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(target.Id, new HeapProfileOptions()));
        Assert.Equal(HeapProfilerError.ProcessExited, e.Error);
        Assert.Contains("exited during the heap dump", e.Message);
    }

    [Fact]
    public void Bad_options_are_refused_before_touching_the_process()
    {
        Assert.Throws<ArgumentException>(() => HeapProfiler.Profile(Environment.ProcessId, new HeapProfileOptions { BackupTypes = [] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeapProfiler.Profile(Environment.ProcessId, new HeapProfileOptions { BufferMegabytes = 0 }));
    }
}
