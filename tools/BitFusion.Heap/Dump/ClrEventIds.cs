namespace BitFusion.Heap.Dump;

/// <summary>The events of Microsoft-Windows-DotNETRuntime a heap dump uses, as the runtime's manifest numbers them.</summary>
internal static class ClrEventIds
{
    public const string Provider = "Microsoft-Windows-DotNETRuntime";

    /// <summary>GC | Type | GCHeapDump | GCHeapCollect | GCHeapAndTypeNames: enabling GCHeapCollect makes the runtime
    /// induce one blocking gen-2 GC and walk the heap inside it, reporting every object, edge and root.</summary>
    public const long HeapDumpKeywords = 0x1 | 0x80000 | 0x100000 | 0x800000 | 0x1000000;

    public const int GCStart = 1;
    public const int GCEnd = 2;
    public const int BulkType = 15;
    public const int GCBulkRootEdge = 16;
    public const int GCBulkRootConditionalWeakTableElementEdge = 17;
    public const int GCBulkNode = 18;
    public const int GCBulkEdge = 19;
    public const int GCBulkRootStaticVar = 38;
}
