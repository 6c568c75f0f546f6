using System.Diagnostics;
using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>
/// <c>--interleaved</c>: the encode cases of the short job, each contender (the read limit, the best GF tier in
/// both forms, ISA-L) timed in turn within every round, many short rounds in one process. On a shared machine
/// BenchmarkDotNet's cases run seconds apart in separate processes and other jobs' load differs between them; here
/// every ratio is taken within one round, between measurements milliseconds apart, and the median over the rounds
/// is printed, so the ratios hold even when the absolute figures do not. GB/s counts the source bytes (k × size),
/// as the BenchmarkDotNet tables do; the last column counts every buffer, sources and outputs ((k + r) × size), as
/// ISA-L's own erasure_code_perf reports its encode, so figures quoted from that tool compare with it.
/// </summary>
internal static unsafe class InterleavedRun
{
    private const int Rounds = 40;

    // Input bytes per measurement: ~1 ms in cache, a few ms from memory, short enough to fit between scheduler
    // slices of the other jobs.
    private const long InCacheBytes = 96L << 20, FromMemoryBytes = 48L << 20;

    public static int Run(TextWriter output)
    {
        output.WriteLine(IsaL.Status);
        string tier = GfKernel.Best.Tier.ToString();
        string[] contenders = [Contender.Read, tier, tier + Contender.IntoSuffix, .. Contender.IsaLIf(true)];
        int isaL = Array.IndexOf(contenders, Contender.IsaL);
        int into = Array.IndexOf(contenders, tier + Contender.IntoSuffix);
        output.WriteLine($"{Rounds} rounds; each cell: median GB/s of source bytes over the rounds, then the median of the per-round ratios to Read / to ISA-L.");
        output.WriteLine("Last column: the same medians counted over all k + r buffers, as ISA-L's erasure_code_perf counts.");
        string allBuffers = isaL < 0 ? $"{contenders[into]}, all buffers" : $"{contenders[into]} / {Contender.IsaL}, all buffers";
        output.WriteLine($"| code | KiB | {string.Join(" | ", contenders)} | {allBuffers} |");
        output.WriteLine($"|---|---|{string.Concat(contenders.Select(_ => "---|"))}---|");
        foreach (int kib in new[] { KernelBenchmark.InCacheKiB, KernelBenchmark.MidKiB })
            foreach (string code in EncodeBenchmarks.Codes)
            {
                MatrixOperation op = EncodeBenchmarks.Create(code);
                nuint length = (nuint)kib * 1024;
                using var pool = new BufferPool(op.Sources, op.Outputs, length, KernelBenchmark.SetCount(length, op.Sources + op.Outputs), seed: 0x5EED);
                IKernelRun[] runs = [.. contenders.Select(c => c == Contender.Read ? new StreamReadRun(op.Sources) : op.Create(c))];
                long perMeasure = kib == KernelBenchmark.InCacheKiB ? InCacheBytes : FromMemoryBytes;
                int ops = (int)Math.Max(1, perMeasure / ((long)length * op.Sources));
                var gbps = new double[Rounds, runs.Length];
                int next = 0;
                for (int round = -1; round < Rounds; round++)
                    for (int c = 0; c < runs.Length; c++)
                    {
                        long start = Stopwatch.GetTimestamp();
                        for (int i = 0; i < ops; i++)
                        {
                            nint* pointers = pool.Pointers(next);
                            next = next + 1 == pool.Sets ? 0 : next + 1;
                            runs[c].Run(pointers, pointers + pool.Sources, length);
                        }
                        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                        if (round >= 0) gbps[round, c] = (double)length * op.Sources * ops / seconds / 1e9;
                    }
                var cells = new string[runs.Length];
                for (int c = 0; c < runs.Length; c++)
                {
                    double toRead = Median(r => gbps[r, c] / gbps[r, 0]);
                    string toIsaL = isaL < 0 ? "–" : $"{Median(r => gbps[r, c] / gbps[r, isaL]):F2}";
                    cells[c] = $"{Median(r => gbps[r, c]):F1} ({toRead:F2} / {toIsaL})";
                }
                double perSource = (double)(op.Sources + op.Outputs) / op.Sources;
                string whole = $"{Median(r => gbps[r, into]) * perSource:F1}" + (isaL < 0 ? "" : $" / {Median(r => gbps[r, isaL]) * perSource:F1}");
                output.WriteLine($"| {code} | {kib} | {string.Join(" | ", cells)} | {whole} |");
            }
        return 0;
    }

    private static double Median(Func<int, double> ofRound)
    {
        var values = new double[Rounds];
        for (int r = 0; r < Rounds; r++) values[r] = ofRound(r);
        Array.Sort(values);
        return (values[(Rounds - 1) / 2] + values[Rounds / 2]) / 2;
    }
}
