namespace BitFusion.Core.Abcast;

/// <summary>What a receiver knows about one sender, independent of any single message.</summary>
internal sealed class SenderTrack
{
    /// <summary>
    /// Highest data sequence number received. Data travels in sequence order on one FIFO connection and a resend
    /// starts again from the oldest unproposed message, so anything at or below it is a duplicate.
    /// </summary>
    public long HighestSeq;

    /// <summary>Highest epoch seen on a data message or marker: once it reaches a join's epoch, no older data is in flight.</summary>
    public long HighestEpoch = -1;

    /// <summary>Delivered but not yet stable, roughly in sequence order (delivery order follows it closely).</summary>
    public readonly Queue<DeliveredFinal> Delivered = new();

    /// <summary>
    /// Forgets final timestamps the sender reports stable. Only the front is trimmed: a straggler behind a newer
    /// front waits for the front to go, which bounds the queue by what was in flight without a scan per message.
    /// </summary>
    public void Trim(long stableSeq)
    {
        while (Delivered.Count > 0 && Delivered.Peek().Id.Seq <= stableSeq) Delivered.Dequeue();
    }
}
