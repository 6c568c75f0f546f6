namespace BitFusion.Net.Transport;

/// <summary>
/// The pauses between failed dials of one peer, in proportion to how long it has been failing: the first retry is
/// immediate, then each pause is the outage so far divided by <c>outageShare</c>, at least 1 ms and at most
/// <c>maxMs</c>, spread by up to a quarter either way. A peer that is restarting is useless until it is reached
/// again, and one that comes back after an outage of T is reached within about T / <c>outageShare</c> (1 ms for a
/// restart of up to <c>outageShare</c> ms); yet the dials of an outage grow only with its logarithm until the cap
/// (about <c>outageShare</c> · ln(T / <c>outageShare</c>)), not with its length. The spread keeps the dialers that
/// lost the same peer at the same moment from dialing it in step. A success resets it. Not thread-safe: one per
/// dialing loop.
/// </summary>
internal sealed class DialBackoff(int maxMs, int outageShare, Random random)
{
    private long _failingSince = -1;

    /// <summary>The pause before the next dial, after a failure at <paramref name="nowMs"/>.</summary>
    public int Next(long nowMs)
    {
        if (_failingSince < 0)
        {
            _failingSince = nowMs;
            return 0;
        }
        double pause = Math.Clamp((double)(nowMs - _failingSince) / outageShare, 1, maxMs);
        double spread = 0.75 + 0.5 * random.NextDouble();
        return (int)Math.Clamp(Math.Round(pause * spread), 1, maxMs);
    }

    public void Reset() => _failingSince = -1;
}
