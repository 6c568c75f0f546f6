namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A bounded FIFO of pending operations in seq order (the primary's window). The ring grows (doubling) only as the
/// window fills, as <see cref="RetainedDeltas"/> does: a full window of 4,096 operations is 256 KiB, which a restarted
/// primary used to allocate, zero and fault in while it recovered, before any write could use it.
/// </summary>
internal sealed class PendingRing(int capacity)
{
    private const int FirstSlots = 64;

    private PendingOp[] _items = new PendingOp[Math.Min(capacity, FirstSlots)];
    private int _head, _count;

    public int Count => _count;
    public bool IsFull => _count == capacity;
    public ref PendingOp Head => ref _items[_head];

    public void Add(in PendingOp op)
    {
        if (IsFull) throw new InvalidOperationException("The pending window is full.");
        if (_count == _items.Length) Grow();
        _items[(_head + _count) % _items.Length] = op;
        _count++;
    }

    private void Grow()
    {
        var items = new PendingOp[Math.Min(capacity, _items.Length * 2)];
        int first = Math.Min(_count, _items.Length - _head);
        _items.AsSpan(_head, first).CopyTo(items);
        _items.AsSpan(0, _count - first).CopyTo(items.AsSpan(first));
        _items = items;
        _head = 0;
    }

    /// <summary>Points the reply of a client's write still in flight at the request that retried it.</summary>
    public bool Redirect(ulong clientId, ulong clientSeq, long client, ulong requestId)
    {
        for (int i = 0; i < _count; i++)
        {
            ref PendingOp op = ref _items[(_head + i) % _items.Length];
            if (!op.IsWrite || op.ClientId != clientId || op.ClientSeq != clientSeq) continue;
            op.Client = client;
            op.RequestId = requestId;
            return true;
        }
        return false;
    }

    public PendingOp Take()
    {
        PendingOp op = _items[_head];
        _items[_head] = default;
        _head = (_head + 1) % _items.Length;
        _count--;
        return op;
    }
}
