using System.Buffers;
using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A delta kept beyond the mutation that produced it (a backup's retained deltas, a primary's resend buffer): its
/// seq and an owned copy of its words in a pooled array. <see cref="Release"/> returns the array.
/// </summary>
public sealed class DeltaRecord
{
    private ulong[] _words;

    private DeltaRecord(long seq, in Delta delta)
    {
        Seq = seq;
        NewLength = delta.NewLength;
        FirstWord = delta.FirstWord;
        WordCount = delta.Words.Length;
        ExtraWord = delta.ExtraWord;
        ExtraXor = delta.ExtraXor;
        _words = ArrayPool<ulong>.Shared.Rent(Math.Max(1, WordCount));
        delta.Words.CopyTo(_words);
    }

    public long Seq { get; }
    public int NewLength { get; }
    public int FirstWord { get; }
    public int WordCount { get; }
    public int ExtraWord { get; }
    public ulong ExtraXor { get; }

    public Delta View => new(NewLength, FirstWord, _words.AsSpan(0, WordCount), ExtraWord, ExtraXor);

    public static DeltaRecord Copy(long seq, in Delta delta) => new(seq, delta);

    public void Release()
    {
        if (_words.Length > 0) ArrayPool<ulong>.Shared.Return(_words);
        _words = [];
    }
}
