namespace BitFusion.Bench;

/// <summary>
/// <c>--verify</c>: every benchmarked operation, every tier and ISA-L, at lengths with and without ragged tails,
/// compared byte for byte with our scalar tier on zeroed outputs. No timing.
/// </summary>
internal static class Verifier
{
    private static readonly nuint[] Lengths = [77, 1001, 16 * 1024 + 96, 1024 * 1024 + 160];

    public static int Run(TextWriter output)
    {
        output.WriteLine(IsaL.Status);
        output.WriteLine("Each line: one contender against our Scalar tier on the same inputs (outputs zeroed, or garbage for write-only contenders).");
        int mismatches = 0;
        foreach (Operation op in Operations())
            foreach (string contender in op.Contenders.Where(c => c != Contender.Scalar))
            {
                string? failure = null;
                int lengths = 0;
                foreach (nuint length in Lengths.Where(l => op.Accepts(contender, l)))
                {
                    failure = Compare(op, contender, length);
                    lengths++;
                    if (failure is not null) break;
                }
                if (failure is not null) mismatches++;
                output.WriteLine($"{op.Name,-22} {contender,-10} {(failure is null ? $"OK ({lengths} lengths)" : "MISMATCH: " + failure)}");
            }
        output.WriteLine(mismatches == 0 ? "All outputs identical." : $"{mismatches} mismatching contenders.");
        return mismatches == 0 ? 0 : 1;
    }

    /// <summary>
    /// The shapes the benchmarks time, from the same lists their [ParamsSource] names, so the two cannot drift apart.
    /// Read as plain static lists, not through the attributes: trimming (native AOT) drops attributes nothing refers
    /// to statically, and reading them by reflection crashed the native build of the bench.
    /// </summary>
    private static IEnumerable<Operation> Operations()
    {
        foreach (int k in XorBenchmarks.SourceCounts) yield return new XorOperation(k);
        yield return new MulXorOperation(MulXorBenchmarks.Constant);
        foreach (string code in EncodeBenchmarks.Codes) yield return EncodeBenchmarks.Create(code);
        foreach (int lost in DecodeBenchmarks.LostCounts) yield return DecodeBenchmarks.Create(lost);
    }

    private static string? Compare(Operation op, string contender, nuint length)
    {
        using var pool = new BufferPool(op.Sources, op.Outputs, length, sets: 1, seed: length);
        return OutputCheck.Compare(pool, op.Create(Contender.Scalar), op.Create(contender));
    }
}
