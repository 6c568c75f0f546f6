using BenchmarkDotNet.Attributes;
using BitFusion.Core.Fusion;

namespace BitFusion.Bench;

/// <summary>
/// Rebuilding t lost primaries of a 10+4 code: one combination of t backups and the 10 − t survivors with the
/// recovery matrix (so 10 sources are read whatever t is). ISA-L: ec_encode_data with the same matrix.
/// </summary>
[BenchmarkCategory("decode")]
public class DecodeBenchmarks : KernelBenchmark
{
    public const int Primaries = 10, Faults = 4;

    /// <summary>The numbers of lost primaries timed, and checked by <c>--verify</c>.</summary>
    public static IReadOnlyList<int> LostCounts { get; } = [1, 2, 4];

    [ParamsSource(nameof(LostCounts), Priority = 0)]
    public int Lost { get; set; }

    public override IEnumerable<string> Contenders =>
        Contender.WithBaselines([.. Contender.BothForms(Contender.GfTiers), .. Contender.IsaLIf(true)]);

    private protected override Operation CreateOperation() => Create(Lost);

    /// <summary>Loses primaries spread over the code (0, 3, 6, 9) and rebuilds them from backups 0..t-1.</summary>
    internal static MatrixOperation Create(int lost)
    {
        int[] primaries = [.. Enumerable.Range(0, lost).Select(l => l * 3)];
        int[] backups = [.. Enumerable.Range(0, lost)];
        byte[] matrix = new FusionCode(Primaries, Faults).RecoveryMatrix(primaries, backups).Cells.ToArray();
        return new MatrixOperation($"decode {lost} of {Primaries}+{Faults}", matrix, Primaries, lost);
    }

    [Benchmark]
    public void Decode() => Step();
}
