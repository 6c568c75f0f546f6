namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// One client write as its client sees it: a client id of its own (seq 1), the manager node it writes through, and
/// whether it has its answer. It sends again (same id and seq, marked as a resend) after a lost answer, a closed
/// connection or a not-done answer, always through the same manager node.
/// </summary>
internal sealed class SimClient(int write, int group, int manager)
{
    public int Write { get; } = write;

    public int Group { get; } = group;

    public int Manager { get; } = manager;

    public ulong ClientId => (ulong)Write;

    public bool Settled;

    public int Sends;
}
