using BenchmarkDotNet.Attributes;

namespace BitFusion.Bench;

/// <summary>dst ^= c · src: how a backup applies one primary's delta. ISA-L: gf_vect_mad.</summary>
[BenchmarkCategory("mulxor")]
public class MulXorBenchmarks : KernelBenchmark
{
    /// <summary>Neither 0 nor 1, so no tier can take a shortcut.</summary>
    internal const byte Constant = 0xA7;

    public override IEnumerable<string> Contenders => Contender.WithBaselines([.. Contender.GfTiers, .. Contender.IsaLIf(true)]);

    private protected override Operation CreateOperation() => new MulXorOperation(Constant);

    [Benchmark]
    public void MulXor() => Step();
}
