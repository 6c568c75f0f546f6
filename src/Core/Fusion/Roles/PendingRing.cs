namespace BitFusion.Core.Fusion.Roles;

/// <summary>A fixed-capacity FIFO of pending operations in seq order (the primary's window).</summary>
internal sealed class PendingRing(int capacity)
{
    private readonly PendingOp[] _items = new PendingOp[capacity];
    private int _head, _count;

    public int Count => _count;
    public bool IsFull => _count == _items.Length;
    public ref PendingOp Head => ref _items[_head];

    public void Add(in PendingOp op)
    {
        if (IsFull) throw new InvalidOperationException("The pending window is full.");
        _items[(_head + _count) % _items.Length] = op;
        _count++;
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
