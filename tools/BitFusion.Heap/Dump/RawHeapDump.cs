namespace BitFusion.Heap.Dump;

/// <summary>Everything heap-related a session delivered, in stream order, before it is checked and ordered.</summary>
internal sealed class RawHeapDump
{
    private static readonly int[] IndexedKinds =
        [ClrEventIds.GCBulkNode, ClrEventIds.GCBulkEdge, ClrEventIds.GCBulkRootEdge, ClrEventIds.GCBulkRootConditionalWeakTableElementEdge];

    public int PointerSize { get; set; } = 8;

    /// <summary>Timestamp ticks per second, from the trace header.</summary>
    public long TimestampFrequency { get; set; }
    public List<GcRecord> Gcs { get; } = [];
    public List<NodeRecord> Nodes { get; } = [];
    public List<ulong> Edges { get; } = [];
    public List<RootRecord> Roots { get; } = [];
    public List<DependentEdge> DependentEdges { get; } = [];
    public List<BulkChunk> Chunks { get; } = [];
    public Dictionary<ulong, TypeRecord> Types { get; } = [];

    /// <summary>
    /// Picks the first GC that carried a heap walk and returns that walk, its bulk events put in index order.
    /// Throws when there is no finished walk, or when an index is missing or the edges do not add up: a dump
    /// with lost events would give wrong sizes, so it is an error, never a number.
    /// </summary>
    public HeapWalk Select()
    {
        GcRecord? gc = Gcs.Where(g => g.End is not null).OrderBy(g => g.Start).FirstOrDefault(g => Chunks.Exists(k => k.EventId == ClrEventIds.GCBulkNode && InWindow(k, g)));
        if (gc is null)
        {
            throw Chunks.Exists(k => k.EventId == ClrEventIds.GCBulkNode)
                ? new HeapProfilerException(HeapProfilerError.NoHeapWalk, "The heap walk began but its GC never ended in the stream.")
                : new HeapProfilerException(HeapProfilerError.NoHeapWalk, "The runtime sent no heap walk: the GC heap-dump events never arrived.");
        }
        var ordered = new Dictionary<int, List<BulkChunk>>();
        foreach (int kind in IndexedKinds)
        {
            List<BulkChunk> chunks = Chunks.Where(k => k.EventId == kind && InWindow(k, gc)).OrderBy(k => k.Index).ToList();
            for (int i = 0; i < chunks.Count; i++)
                if (chunks[i].Index != (uint)i)
                    throw Lossy($"{KindName(kind)} events jump from index {i - 1} to {chunks[i].Index}");
            ordered[kind] = chunks;
        }
        NodeRecord[] nodes = Gather(Nodes, ordered[ClrEventIds.GCBulkNode]);
        ulong[] edges = Gather(Edges, ordered[ClrEventIds.GCBulkEdge]);
        long declared = 0;
        foreach (NodeRecord n in nodes) declared += n.EdgeCount;
        if (declared != edges.Length) throw Lossy($"the objects declare {declared} references but {edges.Length} arrived");
        List<BulkChunk> statics = Chunks.Where(k => k.EventId == ClrEventIds.GCBulkRootStaticVar && InWindow(k, gc)).ToList();
        RootRecord[] roots = [.. Gather(Roots, ordered[ClrEventIds.GCBulkRootEdge]), .. Gather(Roots, statics)];
        DependentEdge[] dependents = Gather(DependentEdges, ordered[ClrEventIds.GCBulkRootConditionalWeakTableElementEdge]);
        double pause = TimestampFrequency > 0 ? (double)(gc.End!.Value - gc.Start) / TimestampFrequency : 0;
        return new HeapWalk(PointerSize, gc, pause, nodes, edges, roots, dependents, Types);
    }

    private static bool InWindow(BulkChunk k, GcRecord gc) => k.TimeStamp >= gc.Start && k.TimeStamp <= gc.End;

    private static T[] Gather<T>(List<T> source, List<BulkChunk> chunks)
    {
        int total = 0;
        foreach (BulkChunk k in chunks) total += k.Count;
        var result = new T[total];
        int at = 0;
        foreach (BulkChunk k in chunks)
        {
            source.CopyTo(k.First, result, at, k.Count);
            at += k.Count;
        }
        return result;
    }

    private static string KindName(int kind) => kind switch
    {
        ClrEventIds.GCBulkNode => "GCBulkNode",
        ClrEventIds.GCBulkEdge => "GCBulkEdge",
        ClrEventIds.GCBulkRootEdge => "GCBulkRootEdge",
        _ => "GCBulkRootConditionalWeakTableElementEdge",
    };

    private static HeapProfilerException Lossy(string what) =>
        new(HeapProfilerError.LossyDump, $"The heap dump is incomplete ({what}); the runtime dropped events. Try again, or give the session a larger buffer (--buffer-mb).");
}

/// <summary>One complete heap walk: the objects in walk order, their references, the roots and the types.
/// <see cref="GcSeconds"/> is how long the target's induced GC, walk included, held its threads.</summary>
internal sealed record HeapWalk(
    int PointerSize,
    GcRecord Gc,
    double GcSeconds,
    NodeRecord[] Nodes,
    ulong[] Edges,
    RootRecord[] Roots,
    DependentEdge[] DependentEdges,
    IReadOnlyDictionary<ulong, TypeRecord> Types);
