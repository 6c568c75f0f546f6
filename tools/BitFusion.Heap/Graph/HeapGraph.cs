namespace BitFusion.Heap.Graph;

/// <summary>
/// The object graph of one heap walk with a super-root. Node 0 is the super-root; nodes 1..N are the objects
/// in walk order. The super-root points at every object a strong root holds and at the orphans: objects no
/// reported root reaches (on native AOT the runtime reports no stack or static roots), so that every object is
/// reachable and belongs to some dominator subtree.
/// </summary>
public sealed class HeapGraph : IDirectedGraph
{
    private readonly int[] _edgeStart;
    private readonly int[] _edges;
    private readonly int[] _rootEdges;

    internal HeapGraph(ulong[] addresses, long[] sizes, int[] types, int[] edgeStart, int[] edges, int[] rootEdges, int orphanCount, int sharedCount = 0)
    {
        SharedCount = sharedCount;
        Addresses = addresses;
        Sizes = sizes;
        Types = types;
        _edgeStart = edgeStart;
        _edges = edges;
        _rootEdges = rootEdges;
        OrphanCount = orphanCount;
    }

    public int NodeCount => Sizes.Length;

    /// <summary>Each node's address; 0 for the super-root.</summary>
    public ulong[] Addresses { get; }

    /// <summary>Each node's size in bytes, rounded up to the pointer size as the GC lays objects out; 0 for the super-root.</summary>
    public long[] Sizes { get; }

    /// <summary>Each node's index in the type table; -1 for the super-root.</summary>
    public int[] Types { get; }

    /// <summary>How many of the super-root's edges lead to orphans rather than to reported roots.</summary>
    public int OrphanCount { get; }

    /// <summary>How many of the super-root's edges lead to objects declared shared (see <see cref="WithShared"/>).</summary>
    public int SharedCount { get; }

    /// <summary>Reported roots: the super-root's edges that are neither orphans nor declared-shared objects.</summary>
    public int ReportedRootCount => _rootEdges.Length - OrphanCount - SharedCount;

    /// <summary>
    /// The same graph with the super-root also pointing at <paramref name="shared"/>: objects that belong to the
    /// process as a whole (a backup server's FusionCode) even when a single backup happens to be their only
    /// referrer, so that they and what hangs off them count toward no backup.
    /// </summary>
    public HeapGraph WithShared(IReadOnlyCollection<int> shared) =>
        new(Addresses, Sizes, Types, _edgeStart, _edges, [.. _rootEdges, .. shared], OrphanCount, SharedCount + shared.Count);

    public ReadOnlySpan<int> Successors(int node) =>
        node == 0 ? _rootEdges : _edges.AsSpan(_edgeStart[node], _edgeStart[node + 1] - _edgeStart[node]);
}
