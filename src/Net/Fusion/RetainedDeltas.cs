using System.Buffers;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A backup's copies of one primary's recent delta payloads, above the primary's watermark (the highest seq every
/// backup acknowledged). When the primary dies they let a recovery roll lagging backups forward to the same seq.
/// Payloads live in pooled arrays.
/// </summary>
internal sealed class RetainedDeltas
{
    private readonly Queue<(long Seq, byte[] Payload, int Length)> _items = new();

    public long FirstSeq => _items.TryPeek(out var head) ? head.Seq : long.MaxValue;

    public int Count => _items.Count;

    public void Add(long seq, ReadOnlySpan<byte> payload)
    {
        byte[] copy = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(copy);
        _items.Enqueue((seq, copy, payload.Length));
    }

    public void DropThrough(long watermark)
    {
        while (_items.TryPeek(out var head) && head.Seq <= watermark)
            ArrayPool<byte>.Shared.Return(_items.Dequeue().Payload);
    }

    public void Clear() => DropThrough(long.MaxValue);

    /// <summary>The payloads with from &lt; seq ≤ to, or false if any of them is no longer held.</summary>
    public bool TryGet(long from, long to, List<ReadOnlyMemory<byte>> into)
    {
        if (to <= from) return true;
        if (FirstSeq > from + 1) return false;
        foreach (var (seq, payload, length) in _items)
            if (seq > from && seq <= to) into.Add(payload.AsMemory(0, length));
        return into.Count == to - from;
    }
}
