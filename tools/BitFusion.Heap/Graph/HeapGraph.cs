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

    internal HeapGraph(ulong[] addresses, long[] sizes, int[] types, int[] edgeStart, int[] edges, int[] rootEdges, int orphanCount)
    {
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

    public int RootEdgeCount => _rootEdges.Length;

    public ReadOnlySpan<int> Successors(int node) =>
        node == 0 ? _rootEdges : _edges.AsSpan(_edgeStart[node], _edgeStart[node + 1] - _edgeStart[node]);
}
