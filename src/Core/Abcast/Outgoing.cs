namespace BitFusion.Core.Abcast;

/// <summary>A sender's record of one multicast, from data until every live destination has acknowledged the final. Pooled.</summary>
internal sealed class Outgoing<TPayload>
{
    public readonly List<Destination> Destinations = new();
    public long Seq;
    public GroupSet Groups;
    public long Epoch;
    public long Timestamp;
    public TPayload Payload = default!;
    public bool IsFinal;
    public long FinalTimestamp;
    public long MaxProposal;
    public int Awaiting;

    public int IndexOf(int node, long incarnation)
    {
        List<Destination> d = Destinations;
        for (int i = 0; i < d.Count; i++)
            if (d[i].Node == node && d[i].Incarnation == incarnation) return i;
        return -1;
    }

    public void Reset()
    {
        Destinations.Clear();
        Payload = default!;
        IsFinal = false;
        FinalTimestamp = MaxProposal = 0;
        Awaiting = 0;
    }
}

/// <summary>One destination replica of one multicast.</summary>
internal struct Destination(int node, long incarnation)
{
    public readonly int Node = node;
    public readonly long Incarnation = incarnation;
    public bool Proposed;

    /// <summary>
    /// The highest data sequence number sent on this link when the final went out. A proposal for anything newer
    /// can only have been made after the final arrived (one FIFO connection), so it acknowledges the final.
    /// </summary>
    public long FinalAfterSeq;
}
