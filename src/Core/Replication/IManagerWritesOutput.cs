namespace BitFusion.Core.Replication;

/// <summary>Effects of <see cref="ManagerWrites{TClient, TPayload}"/>, called under the caller's lock; they must not call back into it.</summary>
internal interface IManagerWritesOutput<TClient, TPayload>
{
    /// <summary>Answer request <paramref name="requestId"/> of <paramref name="client"/> (the adapter drops it if the client is gone).</summary>
    void Answer(TClient client, ulong requestId, in WriteReply reply, in WriteRequest<TPayload> request);

    /// <summary>A payload that will never be multicast (a retry's copy, or a queued write dropped).</summary>
    void Release(TPayload payload);

    /// <summary>A write arrived at <paramref name="started"/> (the adapter's clock) completed: one update-time sample.</summary>
    void Completed(int group, long started);

    /// <summary>
    /// The manager left the view: <paramref name="client"/> will get no answer; the adapter closes its connection
    /// (its write's outcome is unknown to it if <paramref name="multicast"/>, not applied otherwise).
    /// </summary>
    void Abort(TClient client, bool multicast);

    /// <summary>Two replicas of <paramref name="group"/> settled the same write differently.</summary>
    void Diverged(int group, in DeliveryReport first, in DeliveryReport other);
}
