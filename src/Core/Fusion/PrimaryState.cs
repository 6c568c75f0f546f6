namespace BitFusion.Core.Fusion;

/// <summary>A primary's list as a backup needs it: its words, its bit length and the sequence number of its last delta.</summary>
internal readonly record struct PrimaryState(ReadOnlyMemory<ulong> Words, long Length, long Seq);
