namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// How a primary came up: fresh or rebuilt, the lost set it solved for, the backups it proceeded without because
/// they were suspected (silent or unreachable for the suspicion timeout), and how many attempts it took.
/// </summary>
internal sealed record RecoveryResult(bool Rebuilt, int[] Lost, int[] Suspected, long Length, long Seq, long Life, int Attempts);
