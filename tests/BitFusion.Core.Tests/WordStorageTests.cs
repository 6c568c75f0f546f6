using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using CsCheck;

namespace BitFusion.Core.Tests;

/// <summary>
/// Lists and fused backups keep their words in arrays sized to the data (WordStorage): grown by 1/64 while small and
/// by up to 1/16 once large, shrunk once the slack passes twice that (at least 1/16). Bulk operations here cross many words at once, in both directions, where the element-at-a-time
/// tests stay within a few words; after every mutation the array must hold the data and no more than the bound,
/// the scratch must be bounded by the delta, and the contents must still match a model.
/// </summary>
public class WordStorageTests
{
    // Kind, position, a size for the bulk operations, and random bits.
    private static readonly Gen<(int Kind, int Pos, int Size, ulong Bits)[]> BulkOps =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 1 << 20], Gen.Int[0, 6000], Gen.ULong).Array[1, 30];

    [Fact]
    public void A_list_grown_one_bit_at_a_time_holds_its_words_and_under_2_percent_more()
    {
        using var list = new PackedBitList();
        for (int i = 0; i < 10_000; i++) list.Append((i * 7 & 4) != 0);
        Assert.Equal(157, list.WordCount);
        Assert.InRange(list.CapacityWords, 157, 157 + 157 / 64 + 1);
        Assert.Equal(1, list.ScratchWords);
    }

    [Fact]
    public void A_large_list_grown_one_bit_at_a_time_copies_about_2_bytes_per_bit_and_holds_under_a_16th_more()
    {
        using var list = new PackedBitList();
        for (int i = 0; i < 1 << 16; i++) list.Append((i & 3) == 1);
        const int appended = 1 << 22;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < appended; i++) list.Append((i & 5) == 1);
        double perBit = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / appended;
        // 1/16 growth copies (1 + 1/16) · 8 bytes per 1/16 · 64 bits, 2.1 B per bit; the 1/64 growth of small arrays copied 8.1.
        Assert.InRange(perBit, 1.5, 2.5);
        Assert.InRange(list.CapacityWords, list.WordCount, list.WordCount + list.WordCount / 16 + 1);
    }

    [Fact]
    public void A_huge_list_grows_by_an_eighth_copying_about_1_byte_per_bit()
    {
        using var list = new PackedBitList();
        var run = new ulong[4096];
        Array.Fill(run, 0x0123_4567_89AB_CDEFUL);
        while (list.WordCount < WordStorage.HugeWords) list.AppendRange(run, run.Length * 64L);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long appended = 0;
        for (int i = 0; i < 512; i++, appended += run.Length * 64L) list.AppendRange(run, run.Length * 64L);
        double perBit = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / appended;
        // 1/8 growth copies (1 + 1/8) · 8 bytes per 1/8 · 64 bits, 1.1 B per bit; growth by 1/16 copied 2.1.
        Assert.InRange(perBit, 0.7, 1.6);
        Assert.InRange(list.CapacityWords, list.WordCount, list.WordCount + list.WordCount / 8 + 1);
    }

    [Fact]
    public void Whole_list_copies_past_8_MiB_are_exact_and_not_pooled()
    {
        Assert.Equal(WordBuffers.PooledWords + 3, WordBuffers.Rent(WordBuffers.PooledWords + 3).Length);
        Assert.Equal(1024, WordBuffers.Rent(1000).Length);
        WordBuffers.Return(new ulong[WordBuffers.PooledWords + 3]);
    }

    [Fact]
    public void A_list_hovering_around_a_large_size_does_not_reallocate()
    {
        using var list = new PackedBitList();
        for (int i = 0; i < 1 << 20; i++) list.Append(true);
        // Just past a growth the array holds its whole growth room (1/16): then down and up by 1/32 of the list.
        int capacity = list.CapacityWords;
        while (list.CapacityWords == capacity) list.Append(false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 1 << 15; i++) list.RemoveAt(list.Count - 1);
            for (int i = 0; i < 1 << 15; i++) list.Append(true);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void An_empty_append_after_a_large_delta_leaves_the_scratch_bounded_by_its_own_delta()
    {
        // CsCheck seed 9f-QpLIyQRC2 of the bulk test below: a 0-bit AppendRange kept the 34-word scratch of an earlier insert.
        using var list = new PackedBitList();
        for (int i = 0; i < 64 * 40; i++) list.Append(true);
        list.Insert(64 * 8, false);
        Assert.True(list.ScratchWords > PackedBitList.ScratchFloorWords);
        list.AppendRange(ReadOnlySpan<ulong>.Empty, 0);
        Assert.InRange(list.ScratchWords, 0, PackedBitList.ScratchFloorWords);
        list.Insert(64 * 8, false);
        list.AppendRange(ReadOnlySpan<bool>.Empty);
        Assert.InRange(list.ScratchWords, 0, PackedBitList.ScratchFloorWords);
    }

    [Fact]
    public void List_storage_stays_within_its_bound_through_bulk_growth_and_shrink()
    {
        BulkOps.Sample(ops =>
        {
            using var list = new PackedBitList();
            using var replica = new PackedBitList();
            var model = new List<bool>();
            foreach (var (kind, pos, size, bits) in ops)
                Run(list, replica, model, kind, pos, size, bits);
            BitListModel.AssertEqual(model, list);
            Assert.True(list.Words.SequenceEqual(replica.Words), "A replica fed every delta must equal the list.");
        }, iter: 150);
    }

    [Fact]
    public void Fused_backup_storage_follows_the_longest_primary_through_bulk_growth_and_shrink()
    {
        Gen.Select(Gen.Int[1, 5], Gen.Int[1, 3], Gen.Select(Gen.Int[0, 4], BulkOps).Array[1, 12]).Sample((n, f, steps) =>
        {
            var code = new FusionCode(n, f);
            var lists = Enumerable.Range(0, n).Select(_ => new PackedBitList()).ToArray();
            var replicas = Enumerable.Range(0, n).Select(_ => new PackedBitList()).ToArray();
            var models = Enumerable.Range(0, n).Select(_ => new List<bool>()).ToArray();
            var seqs = new long[n];
            var backups = Enumerable.Range(0, f).Select(j => new FusedBackup(code, j)).ToArray();
            foreach (var (primary, ops) in steps)
            {
                int p = primary % n;
                // Kind 7 (Load) changes a list without a delta, which a backup cannot follow: not here.
                foreach (var (kind, pos, size, bits) in ops)
                    Run(lists[p], replicas[p], models[p], kind % 7, pos, size, bits, (in Delta d) =>
                    {
                        seqs[p]++;
                        foreach (FusedBackup b in backups)
                        {
                            Assert.Equal(ApplyOutcome.Applied, b.Apply(p, seqs[p], d));
                            Assert.True(b.TailIsZero(), $"Backup {b.BackupIndex}: fused tail past the longest primary must be zero.");
                            Assert.InRange(b.CapacityWords, b.WordCount, Bound(b.WordCount));
                        }
                    });
            }
            var states = lists.Select((l, i) => new PrimaryState(l.Words.ToArray(), l.Count, seqs[i])).ToArray();
            for (int j = 0; j < f; j++)
            {
                using FusedBackup fresh = code.EncodeBackup(j, states);
                Assert.True(fresh.Words.SequenceEqual(backups[j].Words), $"Backup {j} built from deltas differs from a fresh encode.");
                Assert.Equal(fresh.WordCount, fresh.CapacityWords);
            }
            foreach (PackedBitList l in lists.Concat(replicas)) l.Dispose();
            foreach (FusedBackup b in backups) b.Dispose();
        }, iter: 60);
    }

    [Fact]
    public void Restore_sizes_the_backup_to_the_longest_primary_whatever_it_held()
    {
        var code = new FusionCode(2, 1);
        using var backup = new FusedBackup(code, 0);
        backup.Restore(new ulong[5000], [320_000, 10], [4, 2]);
        Assert.Equal(5000, backup.CapacityWords);
        backup.Restore(new ulong[5000], [64, 10], [5, 3]);
        Assert.Equal(1, backup.CapacityWords);
        Assert.Equal(5, backup.Seq(0));
        Assert.Equal(10, backup.Length(1));
    }

    /// <summary>The most words an array may hold for <paramref name="live"/>: WordStorage's shrink threshold.</summary>
    private static int Bound(int live) => live + (live >= WordStorage.LargeWords ? live / 8 : live / 16) + 4;

    private delegate void DeltaSink(in Delta delta);

    private static void Run(PackedBitList list, PackedBitList replica, List<bool> model, int kind, int pos, int size, ulong bits, DeltaSink? sink = null)
    {
        var rng = new Random((int)bits ^ pos);
        void Check(in Delta d)
        {
            replica.Apply(d);
            sink?.Invoke(d);
            Assert.Equal(model.Count, list.Count);
            Assert.InRange(list.CapacityWords, list.WordCount, Bound(list.WordCount));
            Assert.InRange(replica.CapacityWords, replica.WordCount, Bound(replica.WordCount));
            int deltaWords = d.Words.Length + (d.HasExtra ? 1 : 0);
            Assert.InRange(list.ScratchWords, 0, Math.Max(PackedBitList.ScratchFloorWords, 4 * deltaWords));
            Assert.True(list.TailIsZero() && replica.TailIsZero(), "Every word past the count must stay zero.");
        }

        switch (kind)
        {
            case 0:
                ulong[] packed = new ulong[Delta.WordsFor(size)];
                for (int i = 0; i < packed.Length; i++) packed[i] = (ulong)rng.NextInt64() ^ bits;
                for (int i = 0; i < size; i++) model.Add(((packed[i >> 6] >> (i & 63)) & 1) != 0);
                Check(list.AppendRange(packed, size));
                break;
            case 1:
                for (int i = 0; i < size % 300; i++)
                {
                    bool b = ((bits >> (i & 63)) & 1) != 0;
                    model.Add(b);
                    Check(list.Append(b));
                }
                break;
            case 2:
                for (int i = 0; i < size % 400 && model.Count > 0; i++)
                {
                    int at = (pos + i * 31) % model.Count;
                    model.RemoveAt(at);
                    Check(list.RemoveAt(at));
                }
                break;
            case 3:
                for (int i = 0; i < size && model.Count > 0; i++)
                {
                    int at = (pos + i * 17) % model.Count;
                    model[at] = model[^1];
                    model.RemoveAt(model.Count - 1);
                    Check(list.SwapRemoveAt(at));
                }
                break;
            case 4:
                for (int i = 0; i < size % 100; i++)
                {
                    int at = (pos + i) % (model.Count + 1);
                    bool b = ((bits >> (i & 63)) & 1) != 0;
                    model.Insert(at, b);
                    Check(list.Insert(at, b));
                }
                break;
            case 5 when size % 3 == 0:
                model.Clear();
                Check(list.Clear());
                break;
            case 5 when model.Count > 0:
                model[pos % model.Count] = (bits & 1) != 0;
                Check(list.Set(pos % model.Count, (bits & 1) != 0));
                break;
            case 6:
                bool[] flags = new bool[size];
                for (int i = 0; i < size; i++) flags[i] = rng.Next(2) == 1;
                model.AddRange(flags);
                Check(list.AppendRange(flags));
                break;
            case 7:
                // Load replaces the content without a delta; the replica follows the same way.
                int count = size * 3;
                ulong[] words = new ulong[Delta.WordsFor(count) + 2];
                for (int i = 0; i < words.Length; i++) words[i] = (ulong)rng.NextInt64();
                list.Load(words, count);
                replica.Load(words, count);
                model.Clear();
                for (int i = 0; i < count; i++) model.Add(((words[i >> 6] >> (i & 63)) & 1) != 0);
                Assert.InRange(list.CapacityWords, list.WordCount, Bound(list.WordCount));
                Assert.True(list.TailIsZero());
                break;
        }
    }
}
