namespace BitFusion.Core.Abcast;

/// <summary>A message a receiver holds but has not delivered. Lives in a <see cref="PendingQueue{TPayload}"/> slot.</summary>
internal struct PendingEntry<TPayload>
{
    public MessageId Id;

    /// <summary>This replica's proposal while tentative; the final timestamp once final.</summary>
    public long Timestamp;

    public bool IsFinal;

    /// <summary>The sender's view epoch when it sent the message; fixes who its destinations were.</summary>
    public long Epoch;

    public GroupSet Groups;

    public TPayload Payload;

    public int HeapIndex;

    public int NextFree;

    public readonly OrderKey Key => new(Timestamp, Id);
}
