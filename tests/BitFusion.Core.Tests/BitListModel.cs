using BitFusion.Core.Bits;

namespace BitFusion.Core.Tests;

/// <summary>Applies one random operation to a packed list and to a List&lt;bool&gt; model, returning the delta.</summary>
internal static class BitListModel
{
    public const int OpKinds = 8;

    public static Delta Step(PackedBitList list, List<bool> model, int op, int position, bool bit, ulong word)
    {
        int count = model.Count;
        switch (op % OpKinds)
        {
            case 0:
            case 1:
                model.Add(bit);
                return list.Append(bit);
            case 2 when count > 0:
                model[position % count] = bit;
                return list.Set(position % count, bit);
            case 3:
                model.Insert(position % (count + 1), bit);
                return list.Insert(position % (count + 1), bit);
            case 4 when count > 0:
                model.RemoveAt(position % count);
                return list.RemoveAt(position % count);
            case 5 when count > 0:
                int k = position % count;
                model[k] = model[count - 1];
                model.RemoveAt(count - 1);
                return list.SwapRemoveAt(k);
            case 6:
                int n = position % 130;
                for (int i = 0; i < n; i++) model.Add(((word >> (i & 63)) & 1) != 0);
                Span<ulong> packed = [word, word, word];
                return list.AppendRange(packed, n);
            case 7 when position % 50 == 0:
                model.Clear();
                return list.Clear();
            default:
                model.Add(bit);
                return list.Append(bit);
        }
    }

    public static void AssertEqual(List<bool> model, PackedBitList list)
    {
        Assert.Equal(model.Count, list.Count);
        for (int i = 0; i < model.Count; i++)
            if (model[i] != list.Get(i))
                Assert.Fail($"Bit {i} differs: model {model[i]}, list {list.Get(i)} (Count {model.Count}).");
        Assert.True(list.TailIsZero(), "Bits past Count must be zero.");
    }
}
