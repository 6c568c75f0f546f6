using BitFusion.Heap.Nettrace;

namespace BitFusion.Heap.Dump;

/// <summary>
/// Gathers the runtime's heap-walk events from a nettrace stream: GC boundaries, bulk nodes, edges, roots and
/// types. It records what arrives, in stream order; <see cref="RawHeapDump.Select"/> later picks out the one
/// walk and checks it is whole.
/// </summary>
internal sealed class HeapDumpListener : INettraceListener
{
    private readonly RawHeapDump _dump = new();
    private int _pointerSize = 8;

    public RawHeapDump Dump => _dump;

    /// <summary>Raised (on the reading thread) when a GC that carried a heap walk has ended.</summary>
    public event Action? HeapWalkEnded;

    public void OnTraceStart(int pointerSize, int processId, long timestampFrequency)
    {
        _dump.TimestampFrequency = timestampFrequency;
        _pointerSize = pointerSize;
        _dump.PointerSize = pointerSize;
    }

    public void OnEvent(in EventHeader header, EventMetadata metadata, ReadOnlySpan<byte> payload)
    {
        if (metadata.ProviderName != ClrEventIds.Provider) return;
        var c = new BlockCursor(payload, 0);
        switch (metadata.EventId)
        {
            case ClrEventIds.GCStart:
                _dump.Gcs.Add(new GcRecord(c.UInt32(), header.TimeStamp));
                break;
            case ClrEventIds.GCEnd:
                OnGcEnd(c.UInt32(), header.TimeStamp);
                break;
            case ClrEventIds.BulkType:
                ReadTypes(ref c);
                break;
            case ClrEventIds.GCBulkNode:
                ReadNodes(ref c, header.TimeStamp);
                break;
            case ClrEventIds.GCBulkEdge:
                ReadEdges(ref c, header.TimeStamp);
                break;
            case ClrEventIds.GCBulkRootEdge:
                ReadRoots(ref c, header.TimeStamp);
                break;
            case ClrEventIds.GCBulkRootConditionalWeakTableElementEdge:
                ReadDependentEdges(ref c, header.TimeStamp);
                break;
            case ClrEventIds.GCBulkRootStaticVar:
                ReadStaticRoots(ref c, header.TimeStamp);
                break;
        }
    }

    private void OnGcEnd(uint number, long timeStamp)
    {
        for (int i = _dump.Gcs.Count - 1; i >= 0; i--)
        {
            GcRecord gc = _dump.Gcs[i];
            if (gc.Number != number || gc.End is not null) continue;
            gc.End = timeStamp;
            if (_dump.Chunks.Exists(k => k.EventId == ClrEventIds.GCBulkNode && k.TimeStamp >= gc.Start && k.TimeStamp <= timeStamp))
                HeapWalkEnded?.Invoke();
            return;
        }
    }

    private void ReadNodes(ref BlockCursor c, long timeStamp)
    {
        uint index = c.UInt32();
        int count = CheckedCount(ref c, 8 + 8 + 8 + _pointerSize);
        c.UInt16();
        int first = _dump.Nodes.Count;
        for (int i = 0; i < count; i++)
        {
            ulong address = c.Pointer(_pointerSize);
            ulong size = c.UInt64();
            ulong type = c.UInt64();
            ulong edges = c.UInt64();
            if (edges > int.MaxValue) throw new NettraceFormatException($"malformed heap walk: an object with {edges} references.");
            _dump.Nodes.Add(new NodeRecord(address, size, type, (int)edges));
        }
        _dump.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkNode, index, timeStamp, first, count));
    }

    private void ReadEdges(ref BlockCursor c, long timeStamp)
    {
        uint index = c.UInt32();
        int count = CheckedCount(ref c, _pointerSize + 4);
        c.UInt16();
        int first = _dump.Edges.Count;
        for (int i = 0; i < count; i++)
        {
            _dump.Edges.Add(c.Pointer(_pointerSize));
            c.UInt32();
        }
        _dump.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkEdge, index, timeStamp, first, count));
    }

    private void ReadRoots(ref BlockCursor c, long timeStamp)
    {
        uint index = c.UInt32();
        int count = CheckedCount(ref c, 2 * _pointerSize + 5);
        c.UInt16();
        int first = _dump.Roots.Count;
        for (int i = 0; i < count; i++)
        {
            ulong address = c.Pointer(_pointerSize);
            var kind = (RootKind)c.Byte();
            var flags = (RootFlags)c.UInt32();
            c.Pointer(_pointerSize);
            _dump.Roots.Add(new RootRecord(address, kind, flags));
        }
        _dump.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkRootEdge, index, timeStamp, first, count));
    }

    private void ReadDependentEdges(ref BlockCursor c, long timeStamp)
    {
        uint index = c.UInt32();
        int count = CheckedCount(ref c, 3 * _pointerSize);
        c.UInt16();
        int first = _dump.DependentEdges.Count;
        for (int i = 0; i < count; i++)
        {
            ulong key = c.Pointer(_pointerSize);
            ulong value = c.Pointer(_pointerSize);
            c.Pointer(_pointerSize);
            _dump.DependentEdges.Add(new DependentEdge(key, value));
        }
        _dump.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkRootConditionalWeakTableElementEdge, index, timeStamp, first, count));
    }

    private void ReadStaticRoots(ref BlockCursor c, long timeStamp)
    {
        uint count = c.UInt32();
        c.UInt64();
        c.UInt16();
        int first = _dump.Roots.Count;
        for (uint i = 0; i < count; i++)
        {
            c.UInt64();
            ulong address = c.UInt64();
            c.UInt64();
            c.UInt32();
            c.Utf16String();
            _dump.Roots.Add(new RootRecord(address, RootKind.Handle, RootFlags.None));
        }
        // Static roots carry no index, so they join the walk by time alone.
        _dump.Chunks.Add(new BulkChunk(ClrEventIds.GCBulkRootStaticVar, 0, timeStamp, first, (int)count));
    }

    private void ReadTypes(ref BlockCursor c)
    {
        uint count = c.UInt32();
        c.UInt16();
        for (uint i = 0; i < count; i++)
        {
            ulong id = c.UInt64();
            ulong module = c.UInt64();
            c.Take(4 + 4 + 1);
            string name = c.Utf16String();
            uint parameters = c.UInt32();
            if (parameters > (uint)c.Remaining / 8) throw new NettraceFormatException($"malformed BulkType event: {parameters} type parameters.");
            c.Take((int)parameters * 8);
            _dump.Types[id] = new TypeRecord(id, module, name);
        }
    }

    /// <summary>Reads a record count and checks the payload can hold that many records of the given size.</summary>
    private static int CheckedCount(ref BlockCursor c, int recordBytes)
    {
        uint count = c.UInt32();
        if (count > (uint)(c.Remaining - 2) / (uint)recordBytes)
            throw new NettraceFormatException($"malformed heap walk: a bulk event claims {count} records in {c.Remaining} bytes.");
        return (int)count;
    }
}
