using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;

namespace BitFusion.Core.Tests;

/// <summary>Erases a set of processes (index &lt; n: a primary, else backup index - n), recovers them and checks bit-exactness.</summary>
internal static class FusionScenario
{
    public static void RecoverAndCheck(FusionCode code, PackedBitList[] lists, FusedBackup[] backups, int[] erased, Random rng)
    {
        int n = code.Primaries, f = code.Faults;
        int[] lostPrimaries = erased.Where(e => e < n).ToArray();
        var lostBackups = erased.Where(e => e >= n).Select(e => e - n).ToHashSet();
        var alive = backups.Where(b => !lostBackups.Contains(b.BackupIndex)).OrderBy(_ => rng.Next()).ToList();
        var survivors = new ReadOnlyMemory<ulong>?[n];
        for (int i = 0; i < n; i++)
            if (!lostPrimaries.Contains(i)) survivors[i] = lists[i].Words.ToArray();

        RecoveredList[] recovered = code.Decode(lostPrimaries, alive, survivors);
        var states = new PrimaryState[n];
        for (int i = 0; i < n; i++) states[i] = new PrimaryState(lists[i].Words.ToArray(), lists[i].Count, backups[0].Seq(i));
        foreach (RecoveredList r in recovered)
        {
            PackedBitList original = lists[r.Primary];
            string pattern = $"n={n} f={f} erased=[{string.Join(',', erased)}]";
            Assert.True(original.Count == r.Length, $"{pattern}: primary {r.Primary} length {r.Length}, expected {original.Count}");
            Assert.True(original.Words.SequenceEqual(r.Words), $"{pattern}: primary {r.Primary} words differ");
            Assert.Equal(backups[0].Seq(r.Primary), r.Seq);
            using var rebuilt = new PackedBitList();
            rebuilt.Load(r.Words, r.Length);
            Assert.True(rebuilt.TailIsZero());
            states[r.Primary] = new PrimaryState(r.Words.ToArray(), r.Length, r.Seq);
        }
        foreach (int j in lostBackups)
        {
            using FusedBackup again = code.EncodeBackup(j, states);
            Assert.True(again.Words.SequenceEqual(backups[j].Words), $"re-encoded backup {j} differs");
            Assert.True(again.TailIsZero());
        }
    }
}
