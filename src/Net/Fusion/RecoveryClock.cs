using System.Diagnostics;

namespace BitFusion.Net.Fusion;

/// <summary>
/// When a recovery's phases began and ended, taken from the frames the adapter sends and receives (the role itself
/// keeps no clock): so the ready line can say where the time went. Touched only under the primary's lock.
/// </summary>
internal sealed class RecoveryClock
{
    private readonly long _opened = Stopwatch.GetTimestamp();
    private long _firstStatus, _lastStatus, _cutAsked, _cutAnswered;

    /// <summary>An attempt starts: every backup attached or is known down.</summary>
    public void StatusAsked()
    {
        long now = Stopwatch.GetTimestamp();
        if (_firstStatus == 0) _firstStatus = now;
        _lastStatus = now;
    }

    public void CutAsked() => _cutAsked = Stopwatch.GetTimestamp();

    public void CutAnswered() => _cutAnswered = Stopwatch.GetTimestamp();

    /// <summary>
    /// The phases up to now: connecting (dial, handshake and attach of every backup), earlier attempts (retries and
    /// the rounds that rolled lagging backups forward), the last attempt's status round, the residual cut, and the
    /// solve and resume. A fresh start or a cut never asked for leaves its phases at zero.
    /// </summary>
    public RecoveryPhases Finish()
    {
        long done = Stopwatch.GetTimestamp();
        long firstStatus = _firstStatus == 0 ? done : _firstStatus;
        long lastStatus = _lastStatus == 0 ? done : _lastStatus;
        bool cut = _cutAsked > lastStatus && _cutAnswered >= _cutAsked;
        return new RecoveryPhases(
            Stopwatch.GetElapsedTime(_opened, done),
            Stopwatch.GetElapsedTime(_opened, firstStatus),
            Stopwatch.GetElapsedTime(firstStatus, lastStatus),
            Stopwatch.GetElapsedTime(lastStatus, cut ? _cutAsked : done),
            cut ? Stopwatch.GetElapsedTime(_cutAsked, _cutAnswered) : TimeSpan.Zero,
            cut ? Stopwatch.GetElapsedTime(_cutAnswered, done) : TimeSpan.Zero);
    }
}

/// <summary>A recovery's time, in total and by phase (see <see cref="RecoveryClock.Finish"/>).</summary>
public readonly record struct RecoveryPhases(TimeSpan Total, TimeSpan Connect, TimeSpan Reconcile, TimeSpan Status, TimeSpan Cut, TimeSpan Solve);
