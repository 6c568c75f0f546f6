namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Recent deltas in seq order: a backup keeps a primary's above the watermark (the highest seq every backup
/// acknowledged) so a recovery can roll lagging backups forward; a primary keeps its own last ones so a backup that
/// lagged behind a dropped connection catches up by resend instead of a re-encode. Bounded by count and by words
/// (the oldest go first). The records sit in a ring that grows only while the buffer does: a dropped record stays
/// in its slot and is refilled in place when the ring comes round to it, so a steady stream of small deltas touches
/// no collection and no pool.
/// </summary>
internal sealed class RetainedDeltas(int capacity = int.MaxValue, long maxWords = long.MaxValue)
{
    /// <summary>A dropped record longer than this gives its array back rather than pin it until the ring comes round.</summary>
    private const int KeepWords = 1024;

    private DeltaRecord[] _ring = [];
    private int _head, _count;
    private long _lastSeq;
    private long _words;

    /// <summary>The lowest seq held, or <see cref="long.MaxValue"/> when empty.</summary>
    public long FirstSeq => _count > 0 ? _ring[_head].Seq : long.MaxValue;

    public int Count => _count;

    public void Add(long seq, in Bits.Delta delta)
    {
        if (_count == _ring.Length)
        {
            if (_count >= capacity) DropOldest();
            else Grow();
        }
        int tail = _head + _count;
        if (tail >= _ring.Length) tail -= _ring.Length;
        DeltaRecord record = _ring[tail] ??= DeltaRecord.Empty();
        record.Fill(seq, delta);
        _count++;
        _lastSeq = seq;
        _words += record.Words;
        while (_words > maxWords && _count > 1) DropOldest();
    }

    public void DropThrough(long seq)
    {
        while (_count > 0 && _ring[_head].Seq <= seq) DropOldest();
    }

    public void Clear() => DropThrough(long.MaxValue);

    /// <summary>True when every delta with from &lt; seq ≤ to is held.</summary>
    public bool Covers(long from, long to) => to <= from || (FirstSeq <= from + 1 && _count > 0 && _lastSeq >= to);

    /// <summary>The deltas with from &lt; seq ≤ to, in order (the caller checked <see cref="Covers"/>); valid until the next change.</summary>
    public IEnumerable<DeltaRecord> Range(long from, long to)
    {
        for (int i = 0; i < _count; i++)
        {
            DeltaRecord r = _ring[(_head + i) % _ring.Length];
            if (r.Seq > from && r.Seq <= to) yield return r;
        }
    }

    private void DropOldest()
    {
        DeltaRecord oldest = _ring[_head];
        _words -= oldest.Words;
        if (oldest.Words > KeepWords) oldest.Release();
        if (++_head == _ring.Length) _head = 0;
        _count--;
    }

    /// <summary>Doubles the ring (up to the count bound), keeping the records in seq order from slot 0.</summary>
    private void Grow()
    {
        var grown = new DeltaRecord[(int)Math.Min(capacity, Math.Max(8L, 2L * _ring.Length))];
        for (int i = 0; i < _count; i++) grown[i] = _ring[(_head + i) % _ring.Length];
        _ring = grown;
        _head = 0;
    }
}
