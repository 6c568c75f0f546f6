namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Recent deltas in seq order: a backup keeps a primary's above the watermark (the highest seq every backup
/// acknowledged) so a recovery can roll lagging backups forward; a primary keeps its own last ones so a backup that
/// lagged behind a dropped connection catches up by resend instead of a re-encode. Bounded by count and by words
/// (the oldest go first); dropped records are recycled.
/// </summary>
internal sealed class RetainedDeltas(int capacity = int.MaxValue, long maxWords = long.MaxValue)
{
    private readonly Queue<DeltaRecord> _items = new();
    private readonly Stack<DeltaRecord> _free = new();
    private long _lastSeq;
    private long _words;

    /// <summary>The lowest seq held, or <see cref="long.MaxValue"/> when empty.</summary>
    public long FirstSeq => _items.TryPeek(out DeltaRecord? head) ? head.Seq : long.MaxValue;

    public int Count => _items.Count;

    public void Add(long seq, in Bits.Delta delta)
    {
        DeltaRecord record = _free.TryPop(out DeltaRecord? reused) ? reused : DeltaRecord.Empty();
        record.Fill(seq, delta);
        _items.Enqueue(record);
        _lastSeq = seq;
        _words += record.Words;
        while (_items.Count > capacity || _words > maxWords && _items.Count > 1) Recycle(_items.Dequeue());
    }

    public void DropThrough(long seq)
    {
        while (_items.TryPeek(out DeltaRecord? head) && head.Seq <= seq) Recycle(_items.Dequeue());
    }

    public void Clear() => DropThrough(long.MaxValue);

    /// <summary>True when every delta with from &lt; seq ≤ to is held.</summary>
    public bool Covers(long from, long to) => to <= from || (FirstSeq <= from + 1 && _items.Count > 0 && _lastSeq >= to);

    /// <summary>The deltas with from &lt; seq ≤ to, in order (the caller checked <see cref="Covers"/>); valid until the next change.</summary>
    public IEnumerable<DeltaRecord> Range(long from, long to)
    {
        foreach (DeltaRecord r in _items)
            if (r.Seq > from && r.Seq <= to) yield return r;
    }

    private void Recycle(DeltaRecord record)
    {
        _words -= record.Words;
        // A few spare records absorb the steady state; more would only pin pooled arrays.
        if (_free.Count < 64) _free.Push(record);
        else record.Release();
    }
}
