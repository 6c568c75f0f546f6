namespace BitFusion.Core.Tests.Replication;

/// <summary>A client's read in the cluster simulation: which group, and when it was sent (the replica that serves it must hold every write acknowledged before).</summary>
internal sealed record SimRead(int Id, int Group, long SentAt)
{
    public override string ToString() => $"{Id} (group {Group}, sent at {SentAt})";
}
