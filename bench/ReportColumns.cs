using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BitFusion.Bench;

/// <summary>GB/s of input: 10^9 bytes read from the sources per second (bytes per nanosecond of the mean).</summary>
internal sealed class ThroughputColumn : IColumn
{
    private static readonly ConcurrentDictionary<BenchmarkCase, long> InputBytesCache = new();

    public string Id => "BitFusion.GBps";
    public string ColumnName => "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Input throughput: bytes read from the sources (k × size) per nanosecond of the mean, i.e. 10^9 B/s";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        GigabytesPerSecond(summary, benchmarkCase) is double gbps ? gbps.ToString("F1") : "–";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is > 0 ? InputBytes(benchmarkCase) / mean.Value : null;
    }

    /// <summary>Asks the benchmarks' own shape logic, with the case's parameter values.</summary>
    private static long InputBytes(BenchmarkCase benchmarkCase) => InputBytesCache.GetOrAdd(benchmarkCase, static c =>
        KernelBenchmark.InputBytes(c.Descriptor.Type, name => c.Parameters[name]));
}

/// <summary>
/// This row's throughput over the row that differs only in Impl = <c>baseline</c> (same operation, shape, size
/// and bytes): "vs read" against the streaming-read limit, "vs ISA-L" against ISA-L.
/// </summary>
internal sealed class RatioColumn(string columnName, string baseline, int priority) : IColumn
{
    public string Id => "BitFusion.Ratio." + baseline;
    public string ColumnName => columnName;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => priority;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"GB/s divided by the GB/s of the {baseline} row with the same operation, shape and size (– where there is none)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        // The read limit is only a yardstick: comparing it with ISA-L says nothing about our kernels.
        if (baseline != Contender.Read && (string)benchmarkCase.Parameters[nameof(KernelBenchmark.Impl)] == Contender.Read) return "–";
        BenchmarkCase? other = summary.BenchmarksCases.FirstOrDefault(c => IsBaselineOf(c, benchmarkCase));
        if (other is null) return "–";
        double? mine = ThroughputColumn.GigabytesPerSecond(summary, benchmarkCase);
        double? theirs = ThroughputColumn.GigabytesPerSecond(summary, other);
        return mine is double m && theirs is double t && t > 0 ? (m / t).ToString("F2") : "–";
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private bool IsBaselineOf(BenchmarkCase candidate, BenchmarkCase row)
    {
        if (candidate.Descriptor.WorkloadMethod != row.Descriptor.WorkloadMethod || candidate.Job.DisplayInfo != row.Job.DisplayInfo)
            return false;
        foreach (var parameter in row.Parameters.Items)
        {
            object? value = candidate.Parameters[parameter.Name];
            object? expected = parameter.Name == nameof(KernelBenchmark.Impl) ? baseline : parameter.Value;
            if (!Equals(value, expected)) return false;
        }
        return true;
    }
}

/// <summary>
/// With <c>--aot</c>: this row's throughput over the same case's under the JIT (job <c>jitJob</c>), so a native-AOT
/// row reads how much of the JIT's speed the ahead-of-time code keeps.
/// </summary>
internal sealed class AotRatioColumn(string jitJob) : IColumn
{
    public string Id => "BitFusion.AotRatio";
    public string ColumnName => "AOT / JIT";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 3;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GB/s divided by the GB/s of the same case under the JIT (– on the JIT's own rows)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Job.Id == jitJob) return "–";
        BenchmarkCase? jit = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Job.Id == jitJob && c.Descriptor.WorkloadMethod == benchmarkCase.Descriptor.WorkloadMethod &&
            c.Parameters.Items.All(p => Equals(p.Value, benchmarkCase.Parameters[p.Name])));
        if (jit is null) return "–";
        double? mine = ThroughputColumn.GigabytesPerSecond(summary, benchmarkCase);
        double? theirs = ThroughputColumn.GigabytesPerSecond(summary, jit);
        return mine is double m && theirs is double t && t > 0 ? (m / t).ToString("F2") : "–";
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
