namespace BitFusion.Heap;

/// <summary>What to report and how to collect it.</summary>
public sealed record HeapProfileOptions
{
    /// <summary>The backup types of BitFusion: a fused backup, and the bit list that primaries and AR replicas hold.</summary>
    public static readonly IReadOnlyList<string> DefaultBackupTypes =
        ["BitFusion.Core.Fusion.FusedBackup", "BitFusion.Core.Bits.PackedBitList"];

    /// <summary>Types that belong to the process rather than to one backup: the code's matrix and kernel are shared by
    /// every backup the process holds, so it never counts toward one, even when a backup is its only referrer.</summary>
    public static readonly IReadOnlyList<string> DefaultSharedTypes = ["BitFusion.Core.Fusion.FusionCode"];

    /// <summary>Full names of the types whose instances are reported one by one.</summary>
    public IReadOnlyList<string> BackupTypes { get; init; } = DefaultBackupTypes;

    /// <summary>Full names of types whose instances (and what only they reach) count toward no backup.</summary>
    public IReadOnlyList<string> SharedTypes { get; init; } = DefaultSharedTypes;

    /// <summary>How many of the largest types (by total bytes) to list.</summary>
    public int TopTypes { get; init; } = 10;

    /// <summary>EventPipe's buffer in the target; a heap walk writes ~50 bytes per object, and a buffer that
    /// overflows drops events, which makes the dump an error.</summary>
    public int BufferMegabytes { get; init; } = 256;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>An ELF symbol file for a native-AOT target; by default the <c>.dbg</c> file beside its binary.</summary>
    public string? SymbolFile { get; init; }
}
