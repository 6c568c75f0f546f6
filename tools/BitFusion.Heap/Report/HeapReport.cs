namespace BitFusion.Heap.Report;

/// <summary>The result of profiling one process: every figure is exact bytes as the GC lays objects out.</summary>
public sealed record HeapReport(
    int ProcessId,
    string Runtime,
    HeapTotals Totals,
    IReadOnlyList<BackupEntry> Backups,
    IReadOnlyList<TypeTotal> TopTypes,
    IReadOnlyList<string> Notes);

/// <summary>The whole heap as walked, and how the dump was taken.</summary>
public sealed record HeapTotals(
    long Objects,
    long Bytes,
    long References,
    int Roots,
    int Orphans,
    int Types,
    uint GcNumber,
    double GcSeconds,
    double CollectSeconds,
    double AnalyzeSeconds);

/// <summary>One backup object: its own size, what it retains (its dominator subtree) and that subtree by type.</summary>
public sealed record BackupEntry(
    string Type,
    ulong Address,
    long ShallowBytes,
    long RetainedBytes,
    long RetainedObjects,
    IReadOnlyList<TypeTotal> Parts);

public sealed record TypeTotal(string Type, long Objects, long Bytes);
