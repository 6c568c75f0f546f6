namespace BitFusion.Core.Abcast;

/// <summary>
/// Names one multicast: the sender that issued it and that sender's counter (1, 2, 3, …). Sender ids are never
/// reused, not even by a restarted manager, so an id is unique for the life of the cluster.
/// </summary>
internal readonly record struct MessageId(int Sender, long Seq) : IComparable<MessageId>
{
    public int CompareTo(MessageId other)
    {
        int c = Sender.CompareTo(other.Sender);
        return c != 0 ? c : Seq.CompareTo(other.Seq);
    }

    public override string ToString() => $"{Sender}#{Seq}";
}
