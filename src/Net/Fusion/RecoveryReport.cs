namespace BitFusion.Net.Fusion;

/// <summary>
/// How a primary came up: rebuilt or fresh, the lost set it solved for, the backups it went ahead without (suspected:
/// down, or silent for suspectAfterMs), its new life, the time from opening to serving and its phases, the attempts
/// it took, and the bytes its backups sent it meanwhile.
/// </summary>
public sealed record RecoveryReport(
    bool Rebuilt,
    int[] Lost,
    int[] Suspected,
    long Length,
    long Seq,
    long Life,
    RecoveryPhases Phases,
    int Attempts,
    long BytesReceived)
{
    /// <summary>From opening the list to serving it.</summary>
    public TimeSpan Total => Phases.Total;
}
