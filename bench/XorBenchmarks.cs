using BenchmarkDotNet.Attributes;

namespace BitFusion.Bench;

/// <summary>XorMany of k sources into one destination (backup 0, and decode of one lost primary). ISA-L: xor_gen.</summary>
[BenchmarkCategory("xor")]
public class XorBenchmarks : KernelBenchmark
{
    [Params(1, 4, 5, 8, Priority = 0)]
    public int Sources { get; set; }

    public override IEnumerable<string> Contenders => Contender.WithBaselines(Contender.XorTiers);

    private protected override Operation CreateOperation() => new XorOperation(Sources);

    [Benchmark]
    public void Xor() => Step();
}
