using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace BitFusion.Bench;

/// <summary>
/// The two runs: <c>short</c>, a few minutes for a quick look (baselines and the best tiers, 16 KiB and 1 MiB,
/// few iterations), and <c>full</c>, every tier at every size with enough iterations to publish.
/// </summary>
internal static class BenchConfig
{
    public const string Short = "short", Full = "full";

    public static IConfig Create(string run)
    {
        Job job = run switch
        {
            Short => Job.Default.WithId(Short).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(150)),
            Full => Job.Default.WithId(Full).WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(20)
                .WithIterationTime(TimeInterval.FromMilliseconds(250)),
            _ => throw new ArgumentException($"Unknown job '{run}': use '{Short}' or '{Full}'.", nameof(run)),
        };
        ManualConfig config = DefaultConfig.Instance
            .AddJob(job)
            .AddColumn(new ThroughputColumn(), new RatioColumn("vs read", Contender.Read, 1), new RatioColumn("vs ISA-L", Contender.IsaL, 2))
            .HideColumns(Column.Job, Column.Error, Column.Median)
            .AddFilter(new SimpleFilter(IsMeaningful));
        if (run == Short) config.AddFilter(new SimpleFilter(IsInShortRun));
        return config;
    }

    /// <summary>xor_gen cannot XOR a single source (it would be a copy), so that pairing is left out.</summary>
    private static bool IsMeaningful(BenchmarkCase c) =>
        !(Impl(c) == Contender.IsaL && c.Parameters[nameof(XorBenchmarks.Sources)] is int k && k < IsaL.MinXorSources);

    private static bool IsInShortRun(BenchmarkCase c) =>
        Contender.IsInShortList(Impl(c)) && (int)c.Parameters[nameof(KernelBenchmark.SizeKiB)] != KernelBenchmark.LargeKiB;

    private static string Impl(BenchmarkCase c) => (string)c.Parameters[nameof(KernelBenchmark.Impl)];
}
