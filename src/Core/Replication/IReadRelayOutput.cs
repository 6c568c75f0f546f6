namespace BitFusion.Core.Replication;

/// <summary>
/// What a <see cref="ReadRelay{TRead}"/> needs from its manager and the effects it has. Implementations must not call
/// back into the relay.
/// </summary>
internal interface IReadRelayOutput<TRead>
{
    /// <summary>
    /// Whether data node <paramref name="node"/> may serve a read now: its connection is up and synced to the life
    /// the view admits, and that life said it is serving (caught up).
    /// </summary>
    bool CanServe(int node);

    /// <summary>Send <paramref name="read"/> to data node <paramref name="node"/> under the relay's id <paramref name="readId"/>.</summary>
    void SendRead(int node, ulong readId, TRead read);

    /// <summary>No replica of the read's group serves: answer the client "not ready" (nothing was read) and release the read.</summary>
    void Refuse(TRead read, int group);
}
