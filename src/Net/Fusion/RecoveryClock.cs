using System.Diagnostics;

namespace BitFusion.Net.Fusion;

/// <summary>
/// When a recovery's phases began and ended, taken from the frames the adapter sends and receives (the role itself
/// keeps no clock): so the ready line can say where the time went. Touched only under the primary's lock.
/// </summary>
internal sealed class RecoveryClock
{
    private readonly long _opened = Stopwatch.GetTimestamp();
    private long _lastLinkUp, _firstAttempt, _lastAttempt, _cutAsked, _cutAnswered;

    /// <summary>
    /// A backup's link came up before the first attempt: its socket connected and its Challenge arrived, and this
    /// primary's Hello went out with the Attach behind it.
    /// </summary>
    public void LinkUp()
    {
        if (_firstAttempt == 0) _lastLinkUp = Stopwatch.GetTimestamp();
    }

    /// <summary>An attempt starts: every backup attached or is known down.</summary>
    public void AttemptStarted()
    {
        long now = Stopwatch.GetTimestamp();
        if (_firstAttempt == 0) _firstAttempt = now;
        _lastAttempt = now;
    }

    public void CutAsked() => _cutAsked = Stopwatch.GetTimestamp();

    public void CutAnswered() => _cutAnswered = Stopwatch.GetTimestamp();

    /// <summary>
    /// The phases up to now: connecting (dial, authenticated handshake and attach of every backup; of it, the time
    /// until the last link came up), earlier attempts (retries and the rounds that rolled lagging backups forward),
    /// the last attempt's status round, the residual cut, and the solve and resume. A fresh start or a cut never asked
    /// for leaves its phases at zero.
    /// </summary>
    public RecoveryPhases Finish()
    {
        long done = Stopwatch.GetTimestamp();
        long firstAttempt = _firstAttempt == 0 ? done : _firstAttempt;
        long lastAttempt = _lastAttempt == 0 ? done : _lastAttempt;
        bool cut = _cutAsked > lastAttempt && _cutAnswered >= _cutAsked;
        return new RecoveryPhases(
            Stopwatch.GetElapsedTime(_opened, done),
            Stopwatch.GetElapsedTime(_opened, firstAttempt),
            Stopwatch.GetElapsedTime(firstAttempt, lastAttempt),
            Stopwatch.GetElapsedTime(lastAttempt, cut ? _cutAsked : done),
            cut ? Stopwatch.GetElapsedTime(_cutAsked, _cutAnswered) : TimeSpan.Zero,
            cut ? Stopwatch.GetElapsedTime(_cutAnswered, done) : TimeSpan.Zero,
            _lastLinkUp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_opened, Math.Min(_lastLinkUp, firstAttempt)));
    }
}

/// <summary>
/// A recovery's time, in total and by phase (see <see cref="RecoveryClock.Finish"/>); <paramref name="Linked"/> is the
/// part of <paramref name="Connect"/> until the last backup's link came up (the rest waits for the Attached replies).
/// </summary>
public readonly record struct RecoveryPhases(TimeSpan Total, TimeSpan Connect, TimeSpan Reconcile, TimeSpan Status, TimeSpan Cut, TimeSpan Solve,
    TimeSpan Linked = default);
