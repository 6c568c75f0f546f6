namespace BitFusion.Core.Fusion;

/// <summary>A primary's list rebuilt by decoding: its words, bit length and the sequence number it reflects.</summary>
internal sealed class RecoveredList
{
    internal RecoveredList(int primary, long length, long seq, int wordCount)
    {
        Primary = primary;
        Length = length;
        Seq = seq;
        WordsBuffer = new ulong[wordCount];
    }

    public int Primary { get; }
    public long Length { get; }
    public long Seq { get; }
    public int WordCount => WordsBuffer.Length;
    internal ulong[] WordsBuffer { get; }
    public ReadOnlySpan<ulong> Words => WordsBuffer;
}
