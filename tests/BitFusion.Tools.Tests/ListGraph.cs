using BitFusion.Heap.Graph;

namespace BitFusion.Tools.Tests;

/// <summary>A small adjacency-list graph for tests.</summary>
internal sealed class ListGraph : IDirectedGraph
{
    private readonly int[][] _succ;

    public ListGraph(int n, params (int From, int To)[] edges)
    {
        var lists = new List<int>[n];
        for (int i = 0; i < n; i++) lists[i] = [];
        foreach ((int from, int to) in edges) lists[from].Add(to);
        _succ = [.. lists.Select(l => l.ToArray())];
    }

    public int NodeCount => _succ.Length;

    public ReadOnlySpan<int> Successors(int node) => _succ[node];
}

/// <summary>Dominators straight from the definition, by iterating Dom(v) = {v} ∪ ⋂ Dom(p) to a fixed point.</summary>
internal static class NaiveDominators
{
    public static int[] Immediate(IDirectedGraph g)
    {
        int n = g.NodeCount;
        var reachable = new bool[n];
        var stack = new Stack<int>([0]);
        reachable[0] = true;
        while (stack.Count > 0)
            foreach (int w in g.Successors(stack.Pop()))
                if (!reachable[w])
                {
                    reachable[w] = true;
                    stack.Push(w);
                }
        var dom = new HashSet<int>[n];
        for (int v = 0; v < n; v++) dom[v] = v == 0 ? [0] : [.. Enumerable.Range(0, n).Where(x => reachable[x])];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int v = 1; v < n; v++)
            {
                if (!reachable[v]) continue;
                HashSet<int>? meet = null;
                for (int p = 0; p < n; p++)
                {
                    if (!reachable[p] || !g.Successors(p).Contains(v)) continue;
                    if (meet is null) meet = [.. dom[p]];
                    else meet.IntersectWith(dom[p]);
                }
                meet ??= [];
                meet.Add(v);
                if (!meet.SetEquals(dom[v]))
                {
                    dom[v] = meet;
                    changed = true;
                }
            }
        }
        var idom = new int[n];
        for (int v = 0; v < n; v++)
        {
            idom[v] = -1;
            if (v == 0 || !reachable[v]) continue;
            // The immediate dominator is the strict dominator that every other strict dominator dominates.
            foreach (int d in dom[v])
                if (d != v && dom[v].All(o => o == v || dom[d].Contains(o))) idom[v] = d;
        }
        return idom;
    }
}
