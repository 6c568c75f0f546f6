namespace BitFusion.Host.Experiment;

/// <summary>
/// The 2016 Python study's published figures ("Active replication vs. fusion as fault tolerance mechanisms",
/// UT Austin), as ../shared/DESIGN.md records them: f = 1, g = 1..5, 10,000 appends per group.
/// </summary>
internal static class StudyFigures
{
    /// <summary>Update time per append in µs: fusion measured at the primary, AR at the manager.</summary>
    public static readonly IReadOnlyDictionary<int, (double FusionMean, double FusionMedian, double ArMean, double ArMedian)> UpdateMicros =
        new Dictionary<int, (double, double, double, double)>
        {
            [1] = (954.92, 940.00, 15232.07, 3627.00),
            [2] = (1077.92, 1023.75, 20005.41, 3422.00),
            [3] = (1026.90, 1001.67, 27031.80, 3554.00),
            [4] = (1079.34, 1021.50, 28579.39, 3515.00),
            [5] = (1065.98, 1068.00, 27406.47, 3521.00),
        };

    /// <summary>AR recovery was about 3.7 ms whatever the configuration.</summary>
    public const double ArRecoveryMicros = 3_700;

    /// <summary>Fusion recovery of a 10,000-element list at g = 2 took about 0.78 s (up to 3.4 s, linear in n and length).</summary>
    public const double FusionRecoveryMicrosG2 = 780_000;

    public const double FusionRecoveryMicrosMax = 3_400_000;

    /// <summary>The fused backup of a 10,000-element list took about 0.73 MB including bookkeeping.</summary>
    public const double FusedBackupBytes10k = 730_000;

    /// <summary>At g = 5 fusion needed about 83% of AR's space.</summary>
    public const double FusionToArSpaceAtG5 = 0.83;

    /// <summary>AR suffered stalls of up to 2 s.</summary>
    public const double ArMaxStallMicros = 2_000_000;
}
