namespace BitFusion.Heap.Graph;

/// <summary>Maps object addresses to node indices by binary search over a sorted copy (no per-object allocation,
/// unlike a dictionary of millions of entries).</summary>
internal sealed class AddressIndex
{
    private readonly ulong[] _sorted;
    private readonly int[]? _node;

    /// <param name="addresses">Node addresses; index 0 (the super-root) is ignored.</param>
    public AddressIndex(ulong[] addresses)
    {
        _sorted = addresses[1..];
        // The GC walks each region in address order, so the walk is often sorted already and needs no permutation.
        if (IsSorted(_sorted)) return;
        _node = new int[_sorted.Length];
        for (int i = 0; i < _node.Length; i++) _node[i] = i + 1;
        Array.Sort(_sorted, _node);
    }

    /// <summary>The node at <paramref name="address"/>, or 0 when no reported object starts there.</summary>
    public int Find(ulong address)
    {
        int i = Array.BinarySearch(_sorted, address);
        return i < 0 ? 0 : _node is null ? i + 1 : _node[i];
    }

    private static bool IsSorted(ulong[] a)
    {
        for (int i = 1; i < a.Length; i++)
            if (a[i] <= a[i - 1]) return false;
        return true;
    }
}
