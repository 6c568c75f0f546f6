using BenchmarkDotNet.Attributes;

namespace BitFusion.Bench;

/// <summary>
/// XOR of k sources into one destination (backup 0; decode of one lost primary): XorMany accumulates, the
/// "-into" rows' XorManyInto overwrites. ISA-L: xor_gen.
/// </summary>
[BenchmarkCategory("xor")]
public class XorBenchmarks : KernelBenchmark
{
    /// <summary>The source counts timed, and checked by <c>--verify</c>.</summary>
    public static IReadOnlyList<int> SourceCounts { get; } = [1, 4, 5, 8];

    [ParamsSource(nameof(SourceCounts), Priority = 0)]
    public int Sources { get; set; }

    public override IEnumerable<string> Contenders =>
        Contender.WithBaselines([.. Contender.BothForms(Contender.XorTiers), .. Contender.IsaLIf(true)]);

    private protected override Operation CreateOperation() => new XorOperation(Sources);

    [Benchmark]
    public void Xor() => Step();
}
