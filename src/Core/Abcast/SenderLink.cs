namespace BitFusion.Core.Abcast;

/// <summary>A sender's view of its FIFO connection to one incarnation of a data node.</summary>
internal sealed class SenderLink(long incarnation, int group)
{
    public readonly long Incarnation = incarnation;
    public readonly int Group = group;

    /// <summary>Highest sequence number whose data was sent on this link; data goes out in sequence order.</summary>
    public long HighestDataSeqSent;

    /// <summary>Highest sequence number this node has proposed for: it has received everything sent before that data.</summary>
    public long HighestProposalSeq;
}
