using BitFusion.Heap;
using BitFusion.Heap.Report;

namespace BitFusion.Tools.Tests;

/// <summary>The same measurements against a native-AOT target, whose runtime sends no type names and no stack or static roots.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class NativeAotTests(NativeTargetFixture native) : IClassFixture<NativeTargetFixture>
{
    [Fact]
    public void Native_target_backups_retain_exactly_their_layout_size()
    {
        using TargetProcess target = TargetProcess.StartNative(native.Executable, BackupSizeTests.Specs);
        HeapReport report = HeapProfiler.Profile(target.Id, new HeapProfileOptions());
        Assert.Equal("native AOT", report.Runtime);
        BackupSizeTests.AssertExact(target, report);
        Assert.Contains(report.Notes, n => n.Contains(".dbg"));
        Assert.Contains(report.Notes, n => n.Contains("no stack or static roots"));
        Assert.True(report.Totals.Orphans > 0);
    }

    [Fact]
    public void Without_symbols_the_tool_says_what_to_do_and_a_symbols_option_fixes_it()
    {
        string directory = Directory.CreateTempSubdirectory("bitfusion-heap-nosymbols-").FullName;
        try
        {
            string copy = Path.Combine(directory, "target");
            File.Copy(native.Executable, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(native.Executable));
            using TargetProcess target = TargetProcess.StartNative(copy, "list:65");
            var e = Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(target.Id, new HeapProfileOptions()));
            Assert.Equal(HeapProfilerError.Unsupported, e.Error);
            Assert.Contains("--symbols", e.Message);
            Assert.Contains("JIT", e.Message);

            HeapReport report = HeapProfiler.Profile(target.Id, new HeapProfileOptions { SymbolFile = native.Executable + ".dbg" });
            BackupSizeTests.AssertExact(target, report);

            string notElf = Path.Combine(directory, "not-symbols.dbg");
            File.WriteAllText(notElf, "plain text");
            var bad = Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(target.Id, new HeapProfileOptions { SymbolFile = notElf }));
            Assert.Contains("not an ELF file", bad.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_process_exits_during_the_dump()
    {
        using TargetProcess target = TargetProcess.StartNative(native.Executable, "list:65", "objects:300000", "exit-on-gc");
        var e = Assert.Throws<HeapProfilerException>(() => HeapProfiler.Profile(target.Id, new HeapProfileOptions()));
        Assert.Equal(HeapProfilerError.ProcessExited, e.Error);
    }
}
