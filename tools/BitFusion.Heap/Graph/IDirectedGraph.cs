namespace BitFusion.Heap.Graph;

/// <summary>A directed graph over nodes 0 .. NodeCount-1, as the dominator computation reads it.</summary>
public interface IDirectedGraph
{
    int NodeCount { get; }

    ReadOnlySpan<int> Successors(int node);
}
