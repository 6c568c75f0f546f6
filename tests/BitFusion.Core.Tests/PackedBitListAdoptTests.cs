using BitFusion.Core.Bits;

namespace BitFusion.Core.Tests;

/// <summary>A state transfer's words become the list's storage: only an exact-size array with a clean tail is taken.</summary>
public class PackedBitListAdoptTests
{
    [Fact]
    public void TakesAnExactArrayClearingBitsPastTheCountAndCopiesAnyOther()
    {
        ulong[] words = [ulong.MaxValue, ulong.MaxValue];
        using var list = new PackedBitList();
        list.Take(words, 70);
        Assert.Equal(70, list.Count);
        Assert.Equal(0b111_111UL, words[1]);
        Assert.True(list.TailIsZero());
        words[0] = 0;
        Assert.False(list.Get(0));

        ulong[] wide = [1, 2, 3];
        list.Take(wide, 64);
        wide[0] = 0;
        Assert.True(list.Get(0));
        Assert.Equal(1, list.WordCount);
    }

    [Fact]
    public void AdoptsAnExactArrayWithoutACopyAndKeepsWorking()
    {
        ulong[] words = [ulong.MaxValue, 0b101];
        using var list = new PackedBitList();
        list.Adopt(words, 67);
        Assert.Equal(67, list.Count);
        Assert.True(list.Get(66));
        Assert.False(list.Get(65));
        Assert.Equal(words.Length, list.CapacityWords);
        list.Append(true);
        Assert.Equal(68, list.Count);
        Assert.True(list.Get(67));
        Assert.True(list.TailIsZero());
    }

    [Fact]
    public void RefusesAnArrayOfAnotherSizeOrWithBitsPastTheCountAndChangesNothing()
    {
        using var list = new PackedBitList();
        list.Append(true);
        Assert.Throws<ArgumentException>(() => list.Adopt(new ulong[3], 67));
        Assert.Throws<ArgumentException>(() => list.Adopt([0, 0b1000], 67));
        Assert.Equal(1, list.Count);
        Assert.True(list.Get(0));
    }
}
