namespace BitFusion.Harness;

/// <summary>A backup's Stats reply: the fused list's size and its connection counters.</summary>
public sealed record BackupStats(int FusedLength, int WordCount, long Accepted, long Rejected, long ProtocolErrors);
