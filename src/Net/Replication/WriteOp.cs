using System.Buffers;
using System.Runtime.InteropServices;
using BitFusion.Core.Bits;
using BitFusion.Net.Fusion;
using BitFusion.Core.Replication;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// One client write as it travels in a multicast and waits in a replica's pending queue. A value type, so the
/// common writes (one bit, one index) cost no allocation; an append-many run holds its words in a pooled array
/// that whoever drops the write returns (<see cref="Release"/>).
/// On the wire: <c>kind u8 | index i64 | bit bool | bits i32 | words u64[ceil(bits/64)]</c>, where kind is a
/// <see cref="ListOp"/> and bits &gt; 0 only for an append-many run.
/// </summary>
internal struct WriteOp
{
    public const int HeadBytes = 14;

    public ListOp Kind;
    public long Index;
    public bool Bit;
    public int Bits;
    public ulong[]? Words;

    public readonly ReadOnlySpan<ulong> RunWords => Words is null ? default : Words.AsSpan(0, Delta.WordsFor(Bits));

    public static WriteOp AppendMany(ReadOnlySpan<ulong> packed, int bits)
    {
        int count = Delta.WordsFor(bits);
        ulong[] words = ArrayPool<ulong>.Shared.Rent(count);
        packed[..count].CopyTo(words);
        return new WriteOp { Kind = ListOp.Append, Bits = bits, Words = words };
    }

    public void Release()
    {
        if (Words is { } words) ArrayPool<ulong>.Shared.Return(words);
        Words = null;
    }

    public readonly void WriteHead(ref PayloadWriter w)
    {
        w.U8((byte)Kind);
        w.I64(Index);
        w.Bool(Bit);
        w.I32(Bits);
    }

    public readonly ReadOnlySpan<byte> Body => MemoryMarshal.AsBytes(RunWords);

    /// <summary>
    /// Reads and validates a write without copying anything: a run's words stay where they lie, in
    /// <paramref name="words"/>, and <see cref="Words"/> is null (<see cref="Owning"/> makes the write its own).
    /// </summary>
    public static WriteOp Parse(ref PayloadReader r, int maxFrameBytes, out ReadOnlySpan<ulong> words)
    {
        byte kind = r.U8();
        long index = r.I64();
        bool bit = r.Bool();
        int bits = r.Count("bits", ListLimits.For(maxFrameBytes).MaxAppendBits);
        if (kind > (byte)ListOp.SwapRemoveAt) throw new ProtocolException($"Unknown write kind {kind}.");
        if (bits > 0 && kind != (byte)ListOp.Append) throw new ProtocolException($"Only an append carries a run of bits; a {(ListOp)kind} carries {bits}.");
        words = r.Words(Delta.WordsFor(bits));
        return bits > 0 ? new WriteOp { Kind = ListOp.Append, Bits = bits } : new WriteOp { Kind = (ListOp)kind, Index = index, Bit = bit };
    }

    /// <summary>The parsed write with a run's <paramref name="words"/> copied into a pooled array that it owns.</summary>
    public readonly WriteOp Owning(ReadOnlySpan<ulong> words) => Bits > 0 ? AppendMany(words, Bits) : this;

    /// <summary>
    /// Applies the write to <paramref name="list"/> unless its index is out of range there (or the run would make
    /// the list too long for <paramref name="limits"/>): then nothing changes and it returns false. Every replica
    /// decides the same way, because every replica applies the same writes in the same order under the same limits.
    /// </summary>
    public readonly bool TryApply(PackedBitList list, in ListLimits limits)
    {
        long count = list.Count;
        if (limits.Refuse(Kind, count, Bits) is not null) return false;
        switch (Kind)
        {
            case ListOp.Append when Bits > 0:
                list.AppendRange(RunWords, Bits);
                return true;
            case ListOp.Append:
                list.Append(Bit);
                return true;
            case ListOp.Set:
                if ((ulong)Index >= (ulong)count) return false;
                list.Set(Index, Bit);
                return true;
            case ListOp.Insert:
                if ((ulong)Index > (ulong)count) return false;
                list.Insert(Index, Bit);
                return true;
            case ListOp.RemoveAt:
                if ((ulong)Index >= (ulong)count) return false;
                list.RemoveAt(Index);
                return true;
            default:
                if ((ulong)Index >= (ulong)count) return false;
                list.SwapRemoveAt(Index);
                return true;
        }
    }
}
