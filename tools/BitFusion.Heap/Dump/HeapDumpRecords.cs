namespace BitFusion.Heap.Dump;

/// <summary>One object as the heap walk reports it. Its outgoing references are the next
/// <see cref="EdgeCount"/> entries of the walk's edge sequence.</summary>
internal readonly record struct NodeRecord(ulong Address, ulong Size, ulong TypeId, int EdgeCount);

/// <summary>A root: a handle, stack slot, finalizer-queue entry, … that keeps <see cref="Address"/> alive.</summary>
internal readonly record struct RootRecord(ulong Address, RootKind Kind, RootFlags Flags);

/// <summary>A dependent handle (ConditionalWeakTable entry): <see cref="Value"/> lives as long as <see cref="Key"/> does.</summary>
internal readonly record struct DependentEdge(ulong Key, ulong Value);

/// <summary>A type as BulkType describes it: the name (empty on native AOT) and the module whose image holds its MethodTable.</summary>
internal sealed record TypeRecord(ulong TypeId, ulong ModuleId, string Name);

/// <summary>GC root kinds of the GCBulkRootEdge event.</summary>
internal enum RootKind : byte
{
    Stack = 0,
    Finalizer = 1,
    Handle = 2,
    Older = 3,
    SizedRef = 4,
    Overflow = 5,
    DependentHandle = 6,
    NewerThanCard = 7,
}

[Flags]
internal enum RootFlags : uint
{
    None = 0,
    Pinning = 1,
    WeakRef = 2,
    Interior = 4,
    RefCounted = 8,
}

/// <summary>Where one bulk event's records sit in the accumulated lists, and when it was written.</summary>
internal readonly record struct BulkChunk(int EventId, uint Index, long TimeStamp, int First, int Count);

/// <summary>A GC as its GCStart/GCEnd pair reports it.</summary>
internal sealed class GcRecord(uint number, long start)
{
    public uint Number { get; } = number;
    public long Start { get; } = start;
    public long? End { get; set; }
}
