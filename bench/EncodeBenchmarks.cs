using BenchmarkDotNet.Attributes;
using BitFusion.Core.Fusion;

namespace BitFusion.Bench;

/// <summary>
/// All f backups of n primaries in one pass, with the code's own matrix: Encode accumulates, the "-into" rows'
/// EncodeInto overwrites. ISA-L: ec_encode_data.
/// </summary>
[BenchmarkCategory("encode")]
public class EncodeBenchmarks : KernelBenchmark
{
    /// <summary>The codes timed, and checked by <c>--verify</c>.</summary>
    public static IReadOnlyList<string> Codes { get; } = ["5+1", "5+2", "6+3", "10+4"];

    /// <summary>n+f: n primaries read, f backups written.</summary>
    [ParamsSource(nameof(Codes), Priority = 0)]
    public string Code { get; set; } = "5+2";

    public override IEnumerable<string> Contenders =>
        Contender.WithBaselines([.. Contender.BothForms(Contender.GfTiers), .. Contender.IsaLIf(true)]);

    private protected override Operation CreateOperation() => Create(Code);

    internal static MatrixOperation Create(string code)
    {
        string[] parts = code.Split('+');
        int n = int.Parse(parts[0]), f = int.Parse(parts[1]);
        return new MatrixOperation($"encode {code}", new FusionCode(n, f).Matrix.Cells.ToArray(), n, f);
    }

    [Benchmark]
    public void Encode() => Step();
}
