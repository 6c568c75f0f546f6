namespace BitFusion.Net.Transport;

/// <summary>
/// The pauses between failed dials of one peer: the first retry is immediate, then 1, 2, … ms up to
/// <c>fastMaxMs</c> while the failures are younger than <c>fastWindowMs</c> (the peer may be restarting, and every
/// millisecond of pause is a millisecond it is not reached), then doubling up to <c>slowMaxMs</c> (it is down).
/// A success resets it. Not thread-safe: one per dialing loop.
/// </summary>
internal sealed class DialBackoff(int fastMaxMs, int fastWindowMs, int slowMaxMs)
{
    private long _failingSince = -1;
    private int _delayMs;

    /// <summary>The pause before the next dial, after a failure at <paramref name="nowMs"/>.</summary>
    public int Next(long nowMs)
    {
        if (_failingSince < 0)
        {
            _failingSince = nowMs;
            _delayMs = 0;
            return 0;
        }
        int cap = nowMs - _failingSince < fastWindowMs ? fastMaxMs : slowMaxMs;
        _delayMs = Math.Min(cap, Math.Max(1, _delayMs * 2));
        return _delayMs;
    }

    public void Reset() => _failingSince = -1;
}
