using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;
using CsCheck;

namespace BitFusion.Core.Tests;

/// <summary>
/// Bit counts and positions are long so a list may pass 2^31 bits (10^10 bits is 1.25 GB). These tests check the
/// length arithmetic past 2^31 without allocating a list that long.
/// </summary>
public class LongLengthTests
{
    [Fact]
    public void Words_for_any_length_up_to_the_limit_is_the_exact_ceiling_and_fits_an_int_byte_span()
    {
        Gen.Long[0, Delta.MaxBits].Sample(bits =>
        {
            int words = Delta.WordsFor(bits);
            Assert.Equal((bits + 63) / 64, (long)words);
            Assert.True((long)words * sizeof(ulong) <= int.MaxValue, $"{bits} bits need {words} words, more bytes than a span holds");
        }, iter: 2000);
        Assert.Equal(156_250_000, Delta.WordsFor(10_000_000_000));
        Assert.Equal((1 << 25) + 1, Delta.WordsFor((1L << 31) + 1));
        Assert.True(Delta.MaxBits >= 10_000_000_000, "the limit must admit a 10^10-bit list");
        Assert.Equal(Delta.MaxBits, PackedBitList.MaxCount);
    }

    [Fact]
    public void A_delta_and_its_retained_copy_carry_a_length_past_two_to_the_31()
    {
        const long length = 10_000_000_000;
        ulong[] words = [5UL];
        var delta = new Delta(length, 156_249_999, words, extraWord: 3, extraXor: 9);
        Assert.Equal(length, delta.NewLength);
        Assert.Equal(156_250_000, delta.EndWord);
        DeltaRecord copy = DeltaRecord.Copy(7, delta);
        Assert.Equal(length, copy.View.NewLength);
        Assert.Equal(156_249_999, copy.View.FirstWord);
        copy.Release();
    }

    [Fact]
    public void Positions_past_two_to_the_31_are_out_of_range_for_a_short_list_and_do_not_wrap_onto_its_bits()
    {
        using var list = new PackedBitList();
        for (int i = 0; i < 10; i++) list.Append(false);
        foreach (long index in new[] { 1L << 31, (1L << 32) + 3, long.MaxValue, -1L })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => list.Set(index, true));
            Assert.Equal(index, e.ActualValue);
            Assert.Throws<ArgumentOutOfRangeException>(() => list.Get(index));
            Assert.Throws<ArgumentOutOfRangeException>(() => list.RemoveAt(index));
            Assert.Throws<ArgumentOutOfRangeException>(() => list.SwapRemoveAt(index));
            Assert.Throws<ArgumentOutOfRangeException>(() => list.Insert(index, true));
        }
        Assert.Equal(10, list.Count);
        Assert.Equal(0, list.PopCount());
    }

    [Fact]
    public void Growth_past_the_limit_is_refused_before_anything_is_allocated()
    {
        using var list = new PackedBitList();
        list.Append(true);
        ulong[] packed = new ulong[1];
        Assert.Throws<ArgumentException>(() => list.AppendRange(packed, Delta.MaxBits));
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Load(packed, Delta.MaxBits + 1));
        Assert.Equal(1, list.Count);
        Assert.True(list.Get(0));
    }

    [Fact]
    public void A_fused_backup_refuses_lengths_its_words_cannot_hold_without_allocating_them()
    {
        var code = new FusionCode(3, 1);
        using var backup = new FusedBackup(code, 0);
        ulong[] few = new ulong[4];
        long[] seqs = [1, 1, 1];
        Assert.Throws<ArgumentException>(() => backup.Restore(few, [10, 10_000_000_000, 10], seqs));
        Assert.Throws<ArgumentOutOfRangeException>(() => backup.Restore(few, [10, Delta.MaxBits + 1, 10], seqs));
        Assert.Throws<ArgumentOutOfRangeException>(() => backup.Absorb(1, 1, few, Delta.MaxBits + 1));
        Assert.Throws<ArgumentException>(() => backup.Absorb(1, 1, few, 1L << 32));
        Assert.Equal(0, backup.FusedLength);
        Assert.Equal(0, backup.CapacityWords);
    }
}
