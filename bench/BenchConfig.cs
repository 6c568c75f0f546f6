using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.NativeAot;
using Perfolizer.Horology;

namespace BitFusion.Bench;

/// <summary>
/// The two runs: <c>short</c>, a few minutes for a quick look (baselines and the best tiers, 16 KiB and 1 MiB,
/// few iterations), and <c>full</c>, every tier at every size with enough iterations to publish. With <c>aot</c>
/// every case runs twice, under the JIT and compiled native AOT for this machine's instruction set as the shipped
/// binaries are (Directory.Build.props), and "AOT / JIT" divides the two.
/// </summary>
internal static class BenchConfig
{
    public const string Short = "short", Full = "full";

    /// <summary>The ILCompiler the SDK brings (already restored for the host's publish), from the usual feed.</summary>
    private const string IlCompilerVersion = "10.0.12", NuGetFeed = "https://api.nuget.org/v3/index.json";

    public static IConfig Create(string run, bool aot)
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
            .AddColumn(new ThroughputColumn(), new RatioColumn("vs read", Contender.Read, 1), new RatioColumn("vs ISA-L", Contender.IsaL, 2))
            .HideColumns(Column.Error, Column.Median)
            .AddFilter(new SimpleFilter(IsMeaningful));
        if (aot)
        {
            Job jit = job.WithRuntime(CoreRuntime.Core10_0).WithId(run + "-jit");
            Job native = job.WithRuntime(NativeAotRuntime.Net10_0).WithId(run + "-aot").WithToolchain(
                NativeAotToolchain.CreateBuilder().UseNuGet(IlCompilerVersion, NuGetFeed).IlcInstructionSet("native")
                    .TargetFrameworkMoniker("net10.0").ToToolchain());
            // The native runner compiles BenchmarkDotNet and its dependencies too: minutes, more on a shared machine.
            config.AddJob(jit, native).AddColumn(new AotRatioColumn(jit.Id)).WithBuildTimeout(TimeSpan.FromMinutes(30));
        }
        else config.AddJob(job).HideColumns(Column.Job);
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
