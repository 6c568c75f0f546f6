namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Recent deltas in seq order: a backup keeps a primary's above the watermark (the highest seq every backup
/// acknowledged) so a recovery can roll lagging backups forward; a primary keeps its own last ones so a backup that
/// lagged behind a dropped connection catches up by resend instead of a re-encode.
/// </summary>
public sealed class RetainedDeltas(int capacity = int.MaxValue)
{
    private readonly Queue<DeltaRecord> _items = new();
    private long _lastSeq;

    /// <summary>The lowest seq held, or <see cref="long.MaxValue"/> when empty.</summary>
    public long FirstSeq => _items.TryPeek(out DeltaRecord? head) ? head.Seq : long.MaxValue;

    public int Count => _items.Count;

    public void Add(DeltaRecord record)
    {
        _items.Enqueue(record);
        _lastSeq = record.Seq;
        while (_items.Count > capacity) _items.Dequeue().Release();
    }

    public void DropThrough(long seq)
    {
        while (_items.TryPeek(out DeltaRecord? head) && head.Seq <= seq) _items.Dequeue().Release();
    }

    public void Clear() => DropThrough(long.MaxValue);

    /// <summary>True when every delta with from &lt; seq ≤ to is held.</summary>
    public bool Covers(long from, long to) => to <= from || (FirstSeq <= from + 1 && _items.Count > 0 && _lastSeq >= to);

    /// <summary>The deltas with from &lt; seq ≤ to, in order (the caller checked <see cref="Covers"/>).</summary>
    public IEnumerable<DeltaRecord> Range(long from, long to)
    {
        foreach (DeltaRecord r in _items)
            if (r.Seq > from && r.Seq <= to) yield return r;
    }
}
