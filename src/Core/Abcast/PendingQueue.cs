namespace BitFusion.Core.Abcast;

/// <summary>
/// A receiver's pending messages, tentative and final alike, as a binary min-heap on <see cref="OrderKey"/> over
/// slot indices, with an id → slot index for the final and for duplicates. Slots are recycled through a free list,
/// so the steady state allocates nothing. A key never changes while its entry sits in the heap: finalising takes
/// the entry out, changes the key and puts it back.
/// </summary>
internal sealed class PendingQueue<TPayload>
{
    private const int InitialCapacity = 16;

    private readonly Dictionary<MessageId, int> _slotOf = new();
    private PendingEntry<TPayload>[] _slots = new PendingEntry<TPayload>[InitialCapacity];
    private int[] _heap = new int[InitialCapacity];
    private int _count;
    private int _used;
    private int _freeHead = -1;

    public int Count => _count;

    public ref readonly PendingEntry<TPayload> this[int slot] => ref _slots[slot];

    /// <summary>The slot at heap position <paramref name="position"/> (0 ≤ position &lt; Count), for order-free scans.</summary>
    public int SlotAt(int position) => _heap[position];

    public bool TryFind(MessageId id, out int slot) => _slotOf.TryGetValue(id, out slot);

    public bool TryPeekHead(out int slot)
    {
        slot = _count > 0 ? _heap[0] : -1;
        return _count > 0;
    }

    public void Add(MessageId id, long timestamp, long epoch, GroupSet groups, TPayload payload)
    {
        int slot = AllocateSlot();
        _slots[slot] = new PendingEntry<TPayload>
        {
            Id = id, Timestamp = timestamp, Epoch = epoch, Groups = groups, Payload = payload, NextFree = -1,
        };
        _slotOf.Add(id, slot);
        Insert(slot);
    }

    public void MakeFinal(int slot, long timestamp)
    {
        RemoveFromHeap(_slots[slot].HeapIndex);
        _slots[slot].Timestamp = timestamp;
        _slots[slot].IsFinal = true;
        Insert(slot);
    }

    public PendingEntry<TPayload> Remove(int slot)
    {
        PendingEntry<TPayload> entry = _slots[slot];
        RemoveFromHeap(entry.HeapIndex);
        _slotOf.Remove(entry.Id);
        _slots[slot] = new PendingEntry<TPayload> { HeapIndex = -1, NextFree = _freeHead };
        _freeHead = slot;
        return entry;
    }

    private int AllocateSlot()
    {
        if (_freeHead >= 0)
        {
            int slot = _freeHead;
            _freeHead = _slots[slot].NextFree;
            return slot;
        }
        if (_used == _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
        return _used++;
    }

    private void Insert(int slot)
    {
        if (_count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        SiftUp(_count++, slot);
    }

    private void RemoveFromHeap(int position)
    {
        int last = _heap[--_count];
        if (position == _count) return;
        // The former last element fills the hole and moves whichever way restores the heap.
        if (position > 0 && Less(last, _heap[(position - 1) >> 1])) SiftUp(position, last);
        else SiftDown(position, last);
    }

    private void SiftUp(int position, int slot)
    {
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            if (!Less(slot, _heap[parent])) break;
            Place(position, _heap[parent]);
            position = parent;
        }
        Place(position, slot);
    }

    private void SiftDown(int position, int slot)
    {
        while (true)
        {
            int child = 2 * position + 1;
            if (child >= _count) break;
            if (child + 1 < _count && Less(_heap[child + 1], _heap[child])) child++;
            if (!Less(_heap[child], slot)) break;
            Place(position, _heap[child]);
            position = child;
        }
        Place(position, slot);
    }

    private void Place(int position, int slot)
    {
        _heap[position] = slot;
        _slots[slot].HeapIndex = position;
    }

    // OrderKey's order (timestamp, sender, seq), on the fields in place: the heap's hottest comparison, one per level.
    private bool Less(int a, int b)
    {
        ref readonly PendingEntry<TPayload> x = ref _slots[a];
        ref readonly PendingEntry<TPayload> y = ref _slots[b];
        if (x.Timestamp != y.Timestamp) return x.Timestamp < y.Timestamp;
        if (x.Id.Sender != y.Id.Sender) return x.Id.Sender < y.Id.Sender;
        return x.Id.Seq < y.Id.Seq;
    }
}
