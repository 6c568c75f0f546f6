using BitFusion.Heap.Dump;

namespace BitFusion.Heap.Graph;

/// <summary>Turns a heap walk into a <see cref="HeapGraph"/>: addresses to node indices, references to CSR edges,
/// strong roots and orphans to super-root edges.</summary>
internal static class HeapGraphBuilder
{
    public static HeapGraph Build(HeapWalk walk, out ulong[] typeIds, out int unresolvedEdges)
    {
        int n = walk.Nodes.Length + 1;
        long align = walk.PointerSize - 1;
        var addresses = new ulong[n];
        var sizes = new long[n];
        var types = new int[n];
        var typeIndex = new Dictionary<ulong, int>();
        var typeList = new List<ulong>();
        types[0] = -1;
        for (int i = 1; i < n; i++)
        {
            NodeRecord r = walk.Nodes[i - 1];
            addresses[i] = r.Address;
            sizes[i] = ((long)r.Size + align) & ~align;
            if (!typeIndex.TryGetValue(r.TypeId, out int t))
            {
                t = typeList.Count;
                typeIndex.Add(r.TypeId, t);
                typeList.Add(r.TypeId);
            }
            types[i] = t;
        }
        typeIds = [.. typeList];

        var byAddress = new AddressIndex(addresses);
        var edgeStart = new int[n + 1];
        var targets = new int[walk.Edges.Length + walk.DependentEdges.Length];
        int written = 0, next = 0;
        unresolvedEdges = 0;
        // Dependent-handle values hang off their keys: a ConditionalWeakTable value lives as long as its key.
        var dependents = new List<(int Key, int Value)>(walk.DependentEdges.Length);
        foreach (DependentEdge d in walk.DependentEdges)
        {
            int key = byAddress.Find(d.Key), value = byAddress.Find(d.Value);
            if (key > 0 && value > 0) dependents.Add((key, value));
        }
        dependents.Sort();
        int dep = 0;
        for (int i = 1; i < n; i++)
        {
            edgeStart[i] = written;
            for (int e = 0; e < walk.Nodes[i - 1].EdgeCount; e++)
            {
                int target = byAddress.Find(walk.Edges[next++]);
                if (target > 0) targets[written++] = target;
                else unresolvedEdges++;
            }
            while (dep < dependents.Count && dependents[dep].Key == i) targets[written++] = dependents[dep++].Value;
        }
        edgeStart[n] = written;

        var rootSet = new HashSet<int>();
        foreach (RootRecord r in walk.Roots)
        {
            if ((r.Flags & RootFlags.WeakRef) != 0) continue;
            int node = byAddress.Find(r.Address);
            if (node > 0) rootSet.Add(node);
        }
        var rootEdges = rootSet.Order().ToList();
        int reported = rootEdges.Count;
        AddOrphans(n, edgeStart, targets, rootEdges);
        return new HeapGraph(addresses, sizes, types, edgeStart, targets, [.. rootEdges], rootEdges.Count - reported);
    }

    /// <summary>
    /// Roots the parts of the heap no reported root reaches: first every unreached object nothing points at,
    /// then, for what is still unreached (cycles), one object per cycle in walk order. Attaching every unreached
    /// object would make each its own dominator and hide what the unreached structures retain.
    /// </summary>
    private static void AddOrphans(int n, int[] edgeStart, int[] targets, List<int> rootEdges)
    {
        var reached = new bool[n];
        var stack = new Stack<int>();
        void Mark(int from)
        {
            if (reached[from]) return;
            reached[from] = true;
            stack.Push(from);
            while (stack.Count > 0)
            {
                int v = stack.Pop();
                for (int e = edgeStart[v]; e < edgeStart[v + 1]; e++)
                    if (!reached[targets[e]])
                    {
                        reached[targets[e]] = true;
                        stack.Push(targets[e]);
                    }
            }
        }
        reached[0] = true;
        foreach (int r in rootEdges) Mark(r);
        var hasReferrer = new bool[n];
        for (int e = 0; e < edgeStart[n]; e++) hasReferrer[targets[e]] = true;
        for (int v = 1; v < n; v++)
            if (!reached[v] && !hasReferrer[v])
            {
                rootEdges.Add(v);
                Mark(v);
            }
        for (int v = 1; v < n; v++)
            if (!reached[v])
            {
                rootEdges.Add(v);
                Mark(v);
            }
    }
}
