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
}
