using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// A delta on the wire: <c>seq i64 | watermark i64 | newLength i64 | firstWord i32 | wordCount i32 |
/// extraWord i32 | extraXor u64 | words u64[wordCount]</c>. The watermark is the highest seq every backup has
/// acknowledged, so backups can drop the deltas they keep for reconciliation.
/// </summary>
internal static class DeltaWire
{
    public const int HeadBytes = 44;

    public static void Enqueue(Connection connection, MessageType type, long seq, long watermark, in Delta delta)
    {
        Span<byte> head = stackalloc byte[HeadBytes];
        WriteHead(head, seq, watermark, delta);
        connection.Enqueue(type, head, System.Runtime.InteropServices.MemoryMarshal.AsBytes(delta.Words));
    }

    /// <summary>The fields before the words (<see cref="HeadBytes"/> bytes); the words follow as they are.</summary>
    public static void WriteHead(Span<byte> target, long seq, long watermark, in Delta delta)
    {
        var w = new PayloadWriter(target);
        w.I64(seq);
        w.I64(watermark);
        w.I64(delta.NewLength);
        w.I32(delta.FirstWord);
        w.I32(delta.Words.Length);
        w.I32(delta.ExtraWord);
        w.U64(delta.ExtraXor);
    }

    /// <summary>Reads and validates a delta (its new length at most <paramref name="maxLength"/>); the words alias the frame and live as long as it does.</summary>
    public static Delta Read(ref PayloadReader r, long maxLength, out long seq, out long watermark)
    {
        seq = r.I64();
        watermark = r.I64();
        long newLength = r.Length("newLength", maxLength);
        int firstWord = r.Count("firstWord", ListLimits.MaxWords);
        int wordCount = r.Count("wordCount", ListLimits.MaxWords);
        int extraWord = r.I32();
        ulong extraXor = r.U64();
        if (seq < 1) throw new ProtocolException($"Delta seq {seq} must be ≥ 1.");
        if (extraWord < -1 || extraWord >= ListLimits.MaxWords) throw new ProtocolException($"Delta extraWord {extraWord} is out of range.");
        if ((long)firstWord + wordCount > ListLimits.MaxWords) throw new ProtocolException("Delta run reaches past the largest list.");
        ReadOnlySpan<ulong> words = r.Words(wordCount);
        return new Delta(newLength, firstWord, words, extraWord, extraXor);
    }
}
