namespace BitFusion.Heap.Graph;

/// <summary>
/// What each object keeps alive: the total size of its dominator subtree, i.e. the bytes that would be freed
/// if it alone became unreachable. Objects shared with the rest of the heap are dominated by a common
/// ancestor (at worst the super-root) and so count for none of their referrers.
/// </summary>
public sealed class RetainedSizes
{
    private readonly int[] _childStart;
    private readonly int[] _children;

    private RetainedSizes(long[] retained, int[] childStart, int[] children)
    {
        Retained = retained;
        _childStart = childStart;
        _children = children;
    }

    public long[] Retained { get; }

    public static RetainedSizes Compute(IDirectedGraph graph, ReadOnlySpan<long> sizes)
    {
        DominatorTree tree = DominatorTree.Build(graph);
        ReadOnlySpan<int> idom = tree.ImmediateDominators;
        ReadOnlySpan<int> order = tree.Preorder;
        var retained = new long[graph.NodeCount];
        foreach (int v in order) retained[v] = sizes[v];
        // A node's dominator precedes it in preorder, so a reverse sweep finishes each subtree before its parent.
        for (int i = order.Length - 1; i > 0; i--) retained[idom[order[i]]] += retained[order[i]];

        var childStart = new int[graph.NodeCount + 1];
        for (int i = 1; i < order.Length; i++) childStart[idom[order[i]] + 1]++;
        for (int v = 0; v < graph.NodeCount; v++) childStart[v + 1] += childStart[v];
        var children = new int[childStart[graph.NodeCount]];
        int[] fill = childStart[..graph.NodeCount];
        for (int i = 1; i < order.Length; i++) children[fill[idom[order[i]]]++] = order[i];
        return new RetainedSizes(retained, childStart, children);
    }

    /// <summary>The nodes an object dominates directly.</summary>
    public ReadOnlySpan<int> DominatedBy(int node) => _children.AsSpan(_childStart[node], _childStart[node + 1] - _childStart[node]);

    /// <summary>Every node in <paramref name="node"/>'s dominator subtree, itself first.</summary>
    public IEnumerable<int> Subtree(int node)
    {
        var stack = new Stack<int>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            int v = stack.Pop();
            yield return v;
            foreach (int c in DominatedBy(v)) stack.Push(c);
        }
    }
}
