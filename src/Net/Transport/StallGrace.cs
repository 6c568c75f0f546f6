namespace BitFusion.Net.Transport;

/// <summary>
/// A watcher's own stalls are not its peers' silence. A watcher that did not run for a while (the collector stopped
/// the process, its timer starved, its lock was held by a long copy) heard nothing meanwhile, and in one process its
/// peers' heartbeat timers stopped too; judged at once, every peer would look silent for the length of the stall.
/// A tick that comes more than <c>stallMs</c> after the previous one therefore counts every peer as heard at that
/// moment, so a peer is suspected only after a full <c>suspectAfterMs</c> of silence while this process was running.
/// One watcher's ticks at a time.
/// </summary>
internal sealed class StallGrace(int stallMs)
{
    private long _lastTick = Environment.TickCount64;
    private long _resumedAt = long.MinValue;

    /// <summary>The grace for a suspicion timeout: half of it, at least a heartbeat, since the timeout is at least two.</summary>
    public static StallGrace For(int suspectAfterMs) => new(Math.Max(1, suspectAfterMs / 2));

    /// <summary>Call at the start of each tick, before judging any peer.</summary>
    public void Tick(long now)
    {
        if (now - _lastTick > stallMs) Volatile.Write(ref _resumedAt, now);
        _lastTick = now;
    }

    /// <summary>When a peer last heard at <paramref name="heardMs"/> counts as heard, given this watcher's stalls.</summary>
    public long Heard(long heardMs) => Math.Max(heardMs, Volatile.Read(ref _resumedAt));
}
