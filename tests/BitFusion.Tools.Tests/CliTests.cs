using System.Text.Json;
using BitFusion.Heap;

namespace BitFusion.Tools.Tests;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Json_report_carries_each_backups_exact_bytes()
    {
        using TargetProcess target = TargetProcess.StartJit("list:65", "backup:3:1:10000");
        (int code, string output, string error) = Run(target.Id.ToString(), "--json", "--top", "3");
        Assert.True(code == 0, error);
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.Equal(target.Id, root.GetProperty("processId").GetInt32());
        Assert.Equal(3, root.GetProperty("topTypes").GetArrayLength());
        long[] reported = [.. root.GetProperty("backups").EnumerateArray().Select(b => b.GetProperty("retainedBytes").GetInt64()).Order()];
        long[] expected = [.. target.Objects.Select(BackupSizeTests.Expected).Order()];
        Assert.Equal(expected, reported);
    }

    [Fact]
    public void Table_report_names_each_backup()
    {
        using TargetProcess target = TargetProcess.StartJit("list:65");
        (int code, string output, _) = Run(target.Id.ToString());
        Assert.Equal(0, code);
        Assert.Contains("BitFusion.Core.Bits.PackedBitList", output);
        Assert.Contains("Top types by bytes", output);
    }

    [Fact]
    public void Errors_go_to_stderr_with_an_exit_code_per_cause()
    {
        (int code, string output, string error) = Run("0");
        Assert.Equal(Cli.ExitCode(HeapProfilerError.ProcessNotFound), code);
        Assert.Empty(output);
        Assert.Contains("bitfusion-heap: 0 is not a process id", error);
        Assert.Equal(1, Run("not-a-pid").Code);
    }
}
