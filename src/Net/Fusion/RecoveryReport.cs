namespace BitFusion.Net.Fusion;

/// <summary>How a primary came up: rebuilt or fresh, the lost set it solved for, and the time each phase took.</summary>
public sealed record RecoveryReport(
    bool Rebuilt,
    int[] Lost,
    int Length,
    long Seq,
    TimeSpan Total,
    TimeSpan Reconcile,
    TimeSpan Cut,
    int Attempts,
    long BytesReceived);
