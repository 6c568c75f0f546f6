using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

public class RetainedDeltasTests
{
    private static void Add(RetainedDeltas r, long seq, int words)
    {
        ulong[] w = Enumerable.Range(0, words).Select(i => (ulong)(seq * 100 + i)).ToArray();
        r.Add(seq, new Delta(words * 64, 0, w));
    }

    [Fact]
    public void Covers_a_range_only_when_every_delta_of_it_is_held()
    {
        var r = new RetainedDeltas();
        for (long s = 1; s <= 5; s++) Add(r, s, 1);
        Assert.True(r.Covers(0, 5));
        Assert.True(r.Covers(3, 3));
        Assert.False(r.Covers(0, 6));
        r.DropThrough(2);
        Assert.False(r.Covers(1, 5));
        Assert.True(r.Covers(2, 5));
        Assert.Equal([3L, 4, 5], r.Range(2, 5).Select(d => d.Seq));
    }

    [Fact]
    public void The_oldest_go_first_past_the_count_or_word_bound_and_recycled_records_hold_their_new_words()
    {
        var r = new RetainedDeltas(capacity: 3, maxWords: 10);
        for (long s = 1; s <= 4; s++) Add(r, s, 2);
        Assert.Equal(2, r.FirstSeq);
        Add(r, 5, 6);
        Assert.Equal(3, r.FirstSeq);
        Add(r, 6, 4);
        Assert.Equal(5, r.FirstSeq);
        DeltaRecord five = r.Range(4, 5).Single();
        Assert.Equal(5, five.Seq);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (ulong)(500 + i)), five.View.Words.ToArray());
    }

    /// <summary>
    /// Random adds (of random sizes) and drops against a plain list of what should be held: the ring wraps, grows and
    /// refills recycled records many times over, and must keep exactly the model's records, words included.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Holds_exactly_what_a_plain_list_would_through_wraps_growth_and_refills(int seed)
    {
        var random = new Random(seed);
        int capacity = random.Next(1, 40);
        long maxWords = random.Next(1, 200);
        var r = new RetainedDeltas(capacity, maxWords);
        var model = new List<(long Seq, int Words)>();
        long seq = 0;
        for (int step = 0; step < 5_000; step++)
        {
            if (random.Next(4) == 0 && model.Count > 0)
            {
                long through = model[random.Next(model.Count)].Seq;
                r.DropThrough(through);
                model.RemoveAll(m => m.Seq <= through);
            }
            else
            {
                int words = random.Next(8) == 0 ? random.Next(1, 2_000) : random.Next(1, 4);
                Add(r, ++seq, words);
                model.Add((seq, words));
                while (model.Count > capacity || model.Sum(m => (long)m.Words) > maxWords && model.Count > 1) model.RemoveAt(0);
            }
            Assert.True(model.Count == r.Count, $"seed {seed} step {step}: {r.Count} held, {model.Count} expected");
            Assert.Equal(model.Count > 0 ? model[0].Seq : long.MaxValue, r.FirstSeq);
            if (model.Count == 0) continue;
            DeltaRecord[] held = r.Range(model[0].Seq - 1, seq).ToArray();
            Assert.Equal(model.Select(m => m.Seq), held.Select(h => h.Seq));
            (long Seq, int Words) probe = model[random.Next(model.Count)];
            DeltaRecord record = held.Single(h => h.Seq == probe.Seq);
            Assert.Equal(Enumerable.Range(0, probe.Words).Select(i => (ulong)(probe.Seq * 100 + i)), record.View.Words.ToArray());
        }
    }
}
