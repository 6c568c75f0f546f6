namespace BitFusion.Heap.Graph;

/// <summary>
/// Immediate dominators by Lengauer–Tarjan (the simple variant: path compression without balancing,
/// O(m log n)), written without recursion so heaps of millions of objects and long reference chains cannot
/// overflow the stack. Node 0 is the root; nodes it cannot reach get no dominator.
/// </summary>
public sealed class DominatorTree
{
    private const int None = -1;

    private readonly int[] _idom;
    private readonly int[] _preorder;

    private DominatorTree(int[] idom, int[] preorder)
    {
        _idom = idom;
        _preorder = preorder;
    }

    /// <summary>The immediate dominator of each node: -1 for the root and for unreachable nodes.</summary>
    public ReadOnlySpan<int> ImmediateDominators => _idom;

    /// <summary>The reachable nodes in depth-first preorder from the root: every node comes after its dominator.</summary>
    public ReadOnlySpan<int> Preorder => _preorder;

    public static DominatorTree Build(IDirectedGraph graph)
    {
        int n = graph.NodeCount;
        var dfn = new int[n];
        Array.Fill(dfn, None);
        var vertex = new int[n];
        var parent = new int[n];
        int count = DepthFirst(graph, dfn, vertex, parent);

        (int[] predStart, int[] preds) = Predecessors(graph, dfn);
        var semi = new int[n];
        var label = new int[n];
        var ancestor = new int[n];
        var idom = new int[n];
        var bucketHead = new int[n];
        var bucketNext = new int[n];
        Array.Fill(idom, None);
        Array.Fill(ancestor, None);
        Array.Fill(bucketHead, None);
        for (int i = 0; i < count; i++)
        {
            int v = vertex[i];
            semi[v] = i;
            label[v] = v;
        }
        var path = new Stack<int>();

        for (int i = count - 1; i > 0; i--)
        {
            int w = vertex[i];
            for (int e = predStart[w]; e < predStart[w + 1]; e++)
            {
                int u = Eval(preds[e], ancestor, label, semi, path);
                if (semi[u] < semi[w]) semi[w] = semi[u];
            }
            int s = vertex[semi[w]];
            bucketNext[w] = bucketHead[s];
            bucketHead[s] = w;
            int p = parent[w];
            ancestor[w] = p;
            for (int v = bucketHead[p]; v != None; v = bucketNext[v])
            {
                int u = Eval(v, ancestor, label, semi, path);
                idom[v] = semi[u] < semi[v] ? u : p;
            }
            bucketHead[p] = None;
        }
        for (int i = 1; i < count; i++)
        {
            int w = vertex[i];
            if (idom[w] != vertex[semi[w]]) idom[w] = idom[idom[w]];
        }
        return new DominatorTree(idom, vertex[..count]);
    }

    /// <summary>Numbers the nodes reachable from 0 in preorder and records each one's DFS-tree parent.</summary>
    private static int DepthFirst(IDirectedGraph graph, int[] dfn, int[] vertex, int[] parent)
    {
        var stack = new Stack<(int Node, int Next)>();
        int count = 0;
        dfn[0] = count;
        vertex[count++] = 0;
        parent[0] = None;
        stack.Push((0, 0));
        while (stack.Count > 0)
        {
            (int v, int next) = stack.Pop();
            ReadOnlySpan<int> succ = graph.Successors(v);
            while (next < succ.Length && dfn[succ[next]] != None) next++;
            if (next == succ.Length) continue;
            int w = succ[next];
            stack.Push((v, next + 1));
            dfn[w] = count;
            vertex[count++] = w;
            parent[w] = v;
            stack.Push((w, 0));
        }
        return count;
    }

    /// <summary>Reverse edges in CSR form, keeping only edges whose source is reachable (the others cannot matter).</summary>
    private static (int[] Start, int[] Preds) Predecessors(IDirectedGraph graph, int[] dfn)
    {
        int n = graph.NodeCount;
        var start = new int[n + 1];
        for (int v = 0; v < n; v++)
        {
            if (dfn[v] == None) continue;
            foreach (int w in graph.Successors(v)) start[w + 1]++;
        }
        for (int v = 0; v < n; v++) start[v + 1] += start[v];
        var preds = new int[start[n]];
        var fill = start[..n];
        for (int v = 0; v < n; v++)
        {
            if (dfn[v] == None) continue;
            foreach (int w in graph.Successors(v)) preds[fill[w]++] = v;
        }
        return (start, preds);
    }

    private static int Eval(int v, int[] ancestor, int[] label, int[] semi, Stack<int> path)
    {
        if (ancestor[v] == None) return v;
        // Compress the ancestor chain above v, nearest-the-root first, as the recursive formulation would.
        for (int u = v; ancestor[ancestor[u]] != None; u = ancestor[u]) path.Push(u);
        while (path.Count > 0)
        {
            int x = path.Pop();
            int a = ancestor[x];
            if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
            ancestor[x] = ancestor[a];
        }
        return label[v];
    }
}
