namespace BitFusion.Core.Abcast;

/// <summary>
/// The one total order of Skeen's algorithm: timestamp, then sender id, then the sender's counter. Tentative and
/// final keys are compared alike. Because the tie-break never changes and a final timestamp is the maximum of the
/// proposals, a message's tentative key at any replica is never above its final key — which is what makes
/// "deliver the head while it is final" safe.
/// </summary>
internal readonly record struct OrderKey(long Timestamp, MessageId Id) : IComparable<OrderKey>
{
    public int CompareTo(OrderKey other)
    {
        int c = Timestamp.CompareTo(other.Timestamp);
        return c != 0 ? c : Id.CompareTo(other.Id);
    }

    public static bool operator <(OrderKey left, OrderKey right) => left.CompareTo(right) < 0;
    public static bool operator >(OrderKey left, OrderKey right) => left.CompareTo(right) > 0;
    public static bool operator <=(OrderKey left, OrderKey right) => left.CompareTo(right) <= 0;
    public static bool operator >=(OrderKey left, OrderKey right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"({Timestamp}, {Id})";
}
