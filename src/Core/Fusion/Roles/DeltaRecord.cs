using System.Buffers;
using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A delta kept beyond the mutation that produced it (a backup's retained deltas, a primary's resend buffer): its
/// seq and an owned copy of its words in a pooled array. <see cref="RetainedDeltas"/> recycles records, so keeping
/// one allocates nothing once the buffer is warm.
/// </summary>
internal sealed class DeltaRecord
{
    private ulong[] _words = [];

    private DeltaRecord()
    {
    }

    public long Seq { get; private set; }
    public long NewLength { get; private set; }
    public int FirstWord { get; private set; }
    public int WordCount { get; private set; }
    public int ExtraWord { get; private set; }
    public ulong ExtraXor { get; private set; }

    public Delta View => new(NewLength, FirstWord, _words.AsSpan(0, WordCount), ExtraWord, ExtraXor);

    /// <summary>A fresh record (for a consumer that keeps it; retained buffers use <see cref="RetainedDeltas.Add"/>).</summary>
    public static DeltaRecord Copy(long seq, in Delta delta)
    {
        var record = new DeltaRecord();
        record.Fill(seq, delta);
        return record;
    }

    internal static DeltaRecord Empty() => new();

    internal void Fill(long seq, in Delta delta)
    {
        Seq = seq;
        NewLength = delta.NewLength;
        FirstWord = delta.FirstWord;
        WordCount = delta.Words.Length;
        ExtraWord = delta.ExtraWord;
        ExtraXor = delta.ExtraXor;
        if (_words.Length < WordCount)
        {
            Release();
            _words = ArrayPool<ulong>.Shared.Rent(WordCount);
        }
        delta.Words.CopyTo(_words);
    }

    /// <summary>The record's size, for the byte bound of a retained buffer.</summary>
    internal long Words => WordCount;

    internal void Release()
    {
        if (_words.Length > 0) ArrayPool<ulong>.Shared.Return(_words);
        _words = [];
    }
}
