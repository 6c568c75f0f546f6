using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using K4os.Compression.LZ4;

namespace BitFusion.Net.Wire;

/// <summary>
/// The one size rule every role checks before it changes a list (primary, manager, replica, backup): a list
/// stays within the cluster's <c>maxListBits</c>, and one AppendMany must still fit the frames it becomes (a delta
/// to each backup, a multicast to each replica), which carry one word and a few dozen bytes more than the request.
/// Derived from the cluster file alone, so every node of a cluster agrees.
/// </summary>
internal readonly struct ListLimits
{
    /// <summary>Bit counts are long; word and byte counts stay int up to this many bits (<see cref="Delta.MaxBits"/>).</summary>
    public const long MaxCount = PackedBitList.MaxCount;

    /// <summary>The most words a list of <see cref="MaxCount"/> bits takes: the bound on any word index or run on the wire.</summary>
    public static readonly int MaxWords = Delta.WordsFor(MaxCount);

    // Room a bulk frame needs besides the LZ4 block: type, the largest head a whole-list frame had before lists
    // travelled in chunks (a Residual: 16 + 12 per lost primary, up to 256) and the bulk prefix. Kept when lengths
    // became i64: the rule does not depend on which frame carries the list, and every node must keep agreeing on it.
    private const int BulkOverhead = 1 + 16 + 12 * 256 + 8;

    // Room a delta or multicast needs besides the run's words: type, the largest head (a multicast: 44 bytes plus
    // a 14-byte write; a forwarded delta: 12 + 44 + 16), one word a misaligned run spills into, and a margin.
    private const int AppendOverhead = 1 + 128 + 8;

    private ListLimits(long maxListBits, int maxAppendBits)
    {
        MaxListBits = maxListBits;
        MaxAppendBits = maxAppendBits;
    }

    /// <summary>The longest list a node keeps.</summary>
    public long MaxListBits { get; }

    /// <summary>The most bits one AppendMany may add.</summary>
    public int MaxAppendBits { get; }

    public static ListLimits For(int maxFrameBytes)
    {
        // LZ4's worst case is n + n/255 + 16: start just under it and step down the few words rounding leaves over.
        long rawBytes = Math.Max(0, (long)(maxFrameBytes - BulkOverhead - 16) * 255 / 256) / 8 * 8;
        while (rawBytes > 0 && BulkOverhead + LZ4Codec.MaximumOutputSize((int)rawBytes) > maxFrameBytes) rawBytes -= 8;
        long maxList = Math.Min(MaxCount, Math.Max(0, rawBytes) * 8);
        return new ListLimits(maxList, (int)Math.Min(maxList, AppendBits(maxFrameBytes)));
    }

    /// <summary>
    /// The rule for fusion and active replication, whose lists travel in chunks (<see cref="ChunkCodec"/>: snapshots,
    /// residuals, state transfer, read-all): the cluster's <paramref name="maxListBits"/> bounds a list, whatever the
    /// frame size; one AppendMany must still fit its delta frame.
    /// </summary>
    public static ListLimits Chunked(int maxFrameBytes, long maxListBits = MaxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxListBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxListBits, MaxCount);
        return new ListLimits(maxListBits, (int)Math.Min(maxListBits, AppendBits(maxFrameBytes)));
    }

    private static int AppendBits(int maxFrameBytes) => (int)Math.Min(int.MaxValue - 64, Math.Max(0, (maxFrameBytes - AppendOverhead) / 8) * 64L);

    /// <summary>Why a write would break the rule on a list of <paramref name="count"/> bits, or null if it may go ahead.</summary>
    public string? Refuse(ListOp op, long count, int appendBits)
    {
        if (appendBits > MaxAppendBits)
            return $"an AppendMany of {appendBits} bits exceeds the {MaxAppendBits}-bit limit of one write (maxFrameBytes)";
        int grows = op switch
        {
            ListOp.Append when appendBits > 0 => appendBits,
            ListOp.Append or ListOp.Insert => 1,
            _ => 0,
        };
        return grows > 0 && count + grows > MaxListBits
            ? $"the list would hold {count + grows} bits, past the {MaxListBits}-bit list limit (maxListBits)"
            : null;
    }
}
