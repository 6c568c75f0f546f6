using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Galois;
using CsCheck;

namespace BitFusion.Core.Tests;

public class FusionCodeTests
{
    [Fact]
    public void Row_zero_is_all_ones_so_backup_zero_is_plain_xor()
    {
        var code = new FusionCode(10, 4);
        for (int i = 0; i < 10; i++) Assert.Equal(1, code.Coefficient(0, i));
    }

    [Theory]
    [InlineData(12, 4)]
    [InlineData(200, 3)]
    public void Every_square_submatrix_is_invertible(int n, int f)
    {
        var code = new FusionCode(n, f);
        var rng = new Random(n * 31 + f);
        int checkedCount = 0;
        foreach (int[] rows in Subsets(f))
        {
            int t = rows.Length;
            if (t == 0) continue;
            IEnumerable<int[]> columnSets = n <= 12 ? Subsets(n).Where(c => c.Length == t)
                : Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(t).ToArray());
            foreach (int[] cols in columnSets)
            {
                var m = new GfMatrix(t, t);
                for (int r = 0; r < t; r++)
                    for (int c = 0; c < t; c++)
                        m[r, c] = code.Coefficient(rows[r], cols[c]);
                GfMatrix product = m.Multiply(m.Invert());
                for (int r = 0; r < t; r++)
                    for (int c = 0; c < t; c++)
                        Assert.Equal(r == c ? 1 : 0, product[r, c]);
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 0);
    }

    [Fact]
    public void Recovery_matrix_times_the_sources_it_names_yields_exactly_the_lost_primaries()
    {
        const int n = 7, f = 3;
        var code = new FusionCode(n, f);
        int patterns = 0;
        foreach (int[] lost in Subsets(n).Where(s => s.Length is > 0 and <= f))
            foreach (int[] backups in Subsets(f).Where(s => s.Length == lost.Length))
            {
                int t = lost.Length;
                // Row r of `sources` expresses source r in terms of the primaries: a backup row, then a survivor's unit row.
                var sources = new GfMatrix(n, n);
                for (int b = 0; b < t; b++)
                    for (int i = 0; i < n; i++) sources[b, i] = code.Coefficient(backups[b], i);
                int row = t;
                for (int i = 0; i < n; i++)
                    if (!lost.Contains(i)) sources[row++, i] = 1;
                GfMatrix product = code.RecoveryMatrix(lost, backups).Multiply(sources);
                for (int l = 0; l < t; l++)
                    for (int i = 0; i < n; i++)
                        Assert.Equal(i == lost[l] ? 1 : 0, product[l, i]);
                patterns++;
            }
        Assert.True(patterns > 100);
    }

    [Fact]
    public void Recovery_matrix_rejects_bad_patterns()
    {
        var code = new FusionCode(5, 2);
        Assert.Throws<ArgumentException>(() => code.RecoveryMatrix([], []));
        Assert.Throws<ArgumentException>(() => code.RecoveryMatrix([0, 1, 2], [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => code.RecoveryMatrix([0, 1], [0]));
        Assert.Throws<ArgumentException>(() => code.RecoveryMatrix([1, 1], [0, 1]));
        Assert.Throws<ArgumentException>(() => code.RecoveryMatrix([0, 1], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.RecoveryMatrix([5], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.RecoveryMatrix([0], [2]));
    }

    [Fact]
    public void Too_many_processes_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FusionCode(250, 7));
        Assert.Contains("exceeds 256", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FusionCode(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FusionCode(3, 0));
        _ = new FusionCode(252, 4);
    }

    [Fact]
    public void Every_erasure_pattern_of_at_most_f_processes_recovers_for_n_up_to_12_and_f_up_to_4()
    {
        var rng = new Random(20161124);
        int patterns = 0;
        for (int f = 1; f <= 4; f++)
            for (int n = 1; n <= 12; n++)
            {
                var code = new FusionCode(n, f);
                var lists = Enumerable.Range(0, n).Select(_ => RandomList(rng, rng.Next(0, 300))).ToArray();
                var states = lists.Select((l, i) => new PrimaryState(l.Words.ToArray(), l.Count, 7 + i)).ToArray();
                var backups = Enumerable.Range(0, f).Select(j => code.EncodeBackup(j, states)).ToArray();
                foreach (int[] erased in Subsets(n + f).Where(s => s.Length <= f))
                {
                    FusionScenario.RecoverAndCheck(code, lists, backups, erased, rng);
                    patterns++;
                }
                foreach (var l in lists) l.Dispose();
            }
        Assert.True(patterns > 10_000, $"only {patterns} patterns ran");
    }

    [Fact]
    public void Random_operations_on_primaries_with_deltas_applied_to_backups_recover_after_any_f_erasures()
    {
        var gen = Gen.Select(Gen.Int[1, 8], Gen.Int[1, 4], Gen.Int[0, 300], Gen.Int);
        gen.Sample((n, f, steps, seed) =>
        {
            var rng = new Random(seed);
            var code = new FusionCode(n, f);
            var lists = Enumerable.Range(0, n).Select(_ => new PackedBitList()).ToArray();
            var models = Enumerable.Range(0, n).Select(_ => new List<bool>()).ToArray();
            var seqs = new long[n];
            var backups = Enumerable.Range(0, f).Select(j => new FusedBackup(code, j)).ToArray();
            for (int s = 0; s < steps; s++)
            {
                int p = rng.Next(n);
                Delta d = BitListModel.Step(lists[p], models[p], rng.Next(1000), rng.Next(100_000), rng.Next(2) == 1, (ulong)rng.NextInt64());
                seqs[p]++;
                foreach (var b in backups)
                {
                    Assert.Equal(ApplyOutcome.Applied, b.Apply(p, seqs[p], d));
                    Assert.Equal(ApplyOutcome.Duplicate, b.Apply(p, seqs[p], d));
                    Assert.True(b.TailIsZero(), $"Backup {b.BackupIndex}: fused tail past the longest primary must be zero.");
                }
            }
            for (int p = 0; p < n; p++) BitListModel.AssertEqual(models[p], lists[p]);

            var states = lists.Select((l, i) => new PrimaryState(l.Words.ToArray(), l.Count, seqs[i])).ToArray();
            for (int j = 0; j < f; j++)
            {
                using var fresh = code.EncodeBackup(j, states);
                Assert.True(fresh.Words.SequenceEqual(backups[j].Words), $"Backup {j} built from deltas differs from a fresh encode.");
                Assert.Equal(lists.Max(l => l.Count), backups[j].FusedLength);
            }
            int t = rng.Next(f + 1);
            int[] erased = Enumerable.Range(0, n + f).OrderBy(_ => rng.Next()).Take(t).ToArray();
            FusionScenario.RecoverAndCheck(code, lists, backups, erased, rng);
            foreach (var l in lists) l.Dispose();
            foreach (var b in backups) b.Dispose();
        }, iter: 300);
    }

    [Fact]
    public void Out_of_order_deltas_are_refused_and_change_nothing()
    {
        var code = new FusionCode(2, 1);
        using var backup = new FusedBackup(code, 0);
        using var list = new PackedBitList();
        Assert.Equal(ApplyOutcome.Gap, backup.Apply(0, 2, list.Append(true)));
        Assert.Equal(0, backup.FusedLength);
        Assert.Equal(0, backup.Seq(0));
        Assert.Throws<ArgumentException>(() => backup.Apply(1, 1, new Delta(1, 5, [1UL])));
        Assert.Equal(0, backup.Seq(1));
    }

    [Fact]
    public void Residuals_computed_backup_side_solve_to_the_lost_lists()
    {
        var rng = new Random(7);
        foreach (var (n, f) in new[] { (1, 1), (3, 1), (5, 2), (6, 3), (10, 4) })
        {
            var code = new FusionCode(n, f);
            var lists = Enumerable.Range(0, n).Select(_ => RandomList(rng, rng.Next(0, 500))).ToArray();
            int[] lost = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(Math.Min(f, n)).Order().ToArray();
            int[] backups = Enumerable.Range(0, f).OrderBy(_ => rng.Next()).Take(lost.Length).ToArray();
            var residuals = new List<ReadOnlyMemory<ulong>>();
            foreach (int b in backups)
            {
                int words = lists.Max(l => l.WordCount);
                var r = new byte[words * 8];
                for (int p = 0; p < n; p++)
                    if (lost.Contains(p))
                        code.Kernel.MulXor(r, System.Runtime.InteropServices.MemoryMarshal.AsBytes(lists[p].Words), code.Coefficient(b, p));
                residuals.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(r).ToArray());
            }
            ulong[][] solved = code.SolveResiduals(lost, backups, residuals, lost.Select(l => lists[l].Count).ToArray());
            for (int i = 0; i < lost.Length; i++)
                Assert.True(lists[lost[i]].Words.SequenceEqual(solved[i]), $"n={n} f={f}: primary {lost[i]} differs");
        }
    }

    [Fact]
    public void One_lost_primary_is_solved_in_its_residuals_own_array_through_any_backup()
    {
        var rng = new Random(11);
        var code = new FusionCode(4, 3);
        PackedBitList list = RandomList(rng, 64 * 1500 + 13);
        for (int b = 0; b < code.Faults; b++)
        {
            // The residual a backup sends for one lost primary is c(b, p) · its list, exactly its words long.
            var residual = new ulong[list.WordCount];
            code.Kernel.MulXor(System.Runtime.InteropServices.MemoryMarshal.AsBytes(residual.AsSpan()),
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(list.Words), code.Coefficient(b, 2));
            ulong[] solved = code.SolveResidual([2], [b], [residual], [list.Count], 0);
            Assert.Same(residual, solved);
            Assert.True(list.Words.SequenceEqual(solved), $"backup {b} (coefficient {code.Coefficient(b, 2)}): the list differs");
        }
        // A residual longer than the list (a slice of a larger array) is combined into a fresh array instead.
        var longer = new ulong[list.WordCount + 5];
        list.Words.CopyTo(longer);
        ulong[] fresh = code.SolveResidual([2], [0], [longer.AsMemory(0, list.WordCount)], [list.Count], 0);
        Assert.NotSame(longer, fresh);
        Assert.True(list.Words.SequenceEqual(fresh));
    }

    internal static PackedBitList RandomList(Random rng, int bits)
    {
        var l = new PackedBitList();
        for (int i = 0; i < bits; i++) l.Append(rng.Next(2) == 1);
        return l;
    }

    internal static IEnumerable<int[]> Subsets(int n)
    {
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) > 4) continue;
            yield return Enumerable.Range(0, n).Where(i => (mask >> i & 1) != 0).ToArray();
        }
    }
}
