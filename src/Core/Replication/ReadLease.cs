namespace BitFusion.Core.Replication;

/// <summary>
/// The read lease of a data node. A replica serves reads only until <see cref="Duration"/> after it <em>sent</em> a lease
/// request (on its own clock) that a coordinator granted while the view admitted it; the coordinator decides no view
/// excluding that life before <see cref="Hold"/> after it received the request (on its clock), nor, once it starts
/// coordinating, before <see cref="Hold"/> has passed (leases its predecessor granted). So a replica the view excluded has
/// stopped serving before any write is acknowledged without it. Stamping the request at sending is what makes a
/// paused replica safe: after a pause its buffered grants answer requests sent before the pause, long expired.
/// </summary>
/// <param name="Duration">How long a grant lets a replica serve after its request was sent (the unit of the times given to the machines).</param>
internal readonly record struct ReadLease(long Duration)
{
    /// <summary>Half the failure detector's bound: a silent replica's lease runs out well before its peers take it for dead.</summary>
    public static ReadLease For(long suspectAfter) => new(Math.Max(1, suspectAfter / 2));

    /// <summary>The grantor's wait, with an eighth more for the two clocks' rates to differ.</summary>
    public long Hold => Duration + Duration / 8 + 1;

    /// <summary>How often a serving replica asks again: a few requests per lease, so one late answer does not stop its reads.</summary>
    public long RenewEvery => Math.Max(1, Duration / 4);
}
