using System.Diagnostics;

namespace BitFusion.Net.Diagnostics;

/// <summary>
/// Per-operation service times recorded where the study measured them (at the fusion primary, at the replication
/// manager), drained by the experiment with a Samples request. A fixed ring: when nobody drains it, the oldest
/// samples are overwritten rather than memory growing. Callers serialise access (it lives under the owner's lock).
/// Each sample also goes to the <see cref="BitFusionMetrics"/> operations counter and update-time histogram,
/// tagged with <paramref name="mechanism"/>. The ring is allocated at the first sample, uninitialised (no slot is read
/// before it is written): a restarted primary neither zeroes megabytes nor sets off a collection before it recovers.
/// </summary>
internal sealed class LatencyLog(string mechanism, int capacity = 1 << 20)
{
    private float[]? _micros;
    private readonly KeyValuePair<string, object?> _mechanism = new("mechanism", mechanism);
    private long _written, _drained;

    public void Record(long startTimestamp)
    {
        long elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        _micros ??= GC.AllocateUninitializedArray<float>(capacity);
        _micros[_written % _micros.Length] = (float)(elapsed * 1_000_000.0 / Stopwatch.Frequency);
        _written++;
        BitFusionMetrics.RecordUpdate(_mechanism, elapsed);
    }

    /// <summary>Copies out the samples recorded since the last drain (at most the ring's capacity) and forgets them.</summary>
    public float[] Drain()
    {
        if (_micros is null) return [];
        long from = Math.Max(_drained, _written - _micros.Length);
        var result = new float[_written - from];
        for (long i = from; i < _written; i++) result[i - from] = _micros[i % _micros.Length];
        _drained = _written;
        return result;
    }
}
