using BitFusion.Core.Bits;

namespace BitFusion.Core.Tests;

/// <summary>
/// Whole-list copies past 8 MiB are exact-size and left to the collector, but held weakly until it takes them: a copy
/// of about the same size reuses one (its pages already faulted in), one much shorter does not take it.
/// </summary>
public class WordBuffersTests
{
    private const int Large = 2 * WordBuffers.PooledWords;

    [Fact]
    public void A_returned_large_copy_is_reused_by_a_rental_of_about_its_size_and_not_twice()
    {
        ulong[] first = Drain(Large);
        WordBuffers.Return(first);
        ulong[] again = WordBuffers.Rent(Large - Large / 16);
        Assert.Same(first, again);
        Assert.NotSame(first, WordBuffers.Rent(Large - Large / 16));
    }

    [Fact]
    public void A_rental_much_shorter_than_a_spare_gets_an_exact_array()
    {
        ulong[] spare = Drain(4 * Large);
        WordBuffers.Return(spare);
        ulong[] small = WordBuffers.Rent(Large);
        Assert.NotSame(spare, small);
        Assert.Equal(Large, small.Length);
    }

    /// <summary>A fresh array of <paramref name="words"/> words, after taking every spare that would fit it.</summary>
    private static ulong[] Drain(int words)
    {
        ulong[] a;
        while ((a = WordBuffers.Rent(words)).Length != words) { }
        return a;
    }
}
