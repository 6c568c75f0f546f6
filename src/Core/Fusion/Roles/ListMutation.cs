using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>A client's write, as the primary applies it: the one place a <see cref="ListOp"/> becomes a delta.</summary>
internal readonly ref struct ListMutation(ListOp op, long index, bool bit, ReadOnlySpan<ulong> packed = default, long packedBits = 0)
{
    public ListOp Op { get; } = op;
    public long Index { get; } = index;
    public bool Bit { get; } = bit;
    public ReadOnlySpan<ulong> Packed { get; } = packed;
    public long PackedBits { get; } = packedBits;

    /// <summary>Applies the write; throws <see cref="ArgumentException"/> (list unchanged) on an index out of range.</summary>
    public Delta ApplyTo(PackedBitList list) => Op switch
    {
        ListOp.Append when PackedBits > 0 => list.AppendRange(Packed, PackedBits),
        ListOp.Append => list.Append(Bit),
        ListOp.Set => list.Set(Index, Bit),
        ListOp.Insert => list.Insert(Index, Bit),
        ListOp.RemoveAt => list.RemoveAt(Index),
        _ => list.SwapRemoveAt(Index),
    };
}
