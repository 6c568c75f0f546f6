using BitFusion.Host.Measure;

namespace BitFusion.Host.Experiment;

/// <summary>Groupings of the raw measurements that the tables and plots show.</summary>
internal static class Summary
{
    public static IEnumerable<(string Mechanism, int Groups, int Faults, string Where, LatencyStats Stats)> Updates(Measurements m) =>
        m.Updates.GroupBy(u => (u.Mechanism, u.Groups, u.Faults, u.Where))
            .OrderBy(g => g.Key.Faults).ThenBy(g => g.Key.Mechanism).ThenBy(g => g.Key.Where).ThenBy(g => g.Key.Groups)
            .Select(g => (g.Key.Mechanism, g.Key.Groups, g.Key.Faults, g.Key.Where, LatencyStats.FromMicros(g.Select(u => u.Micros).ToArray())));

    public static IEnumerable<(string Mechanism, int Groups, int Faults, int Bits, LatencyStats Reported, LatencyStats Wall, double WireBytes, int Count, int Verified, bool Sweep)> Recoveries(Measurements m) =>
        // The main run's lists grow step by step, so its recoveries group by configuration (bits = the longest);
        // the size sweep's group by list length.
        m.Recoveries.GroupBy(r => (r.Mechanism, r.Groups, r.Faults, r.Sweep, Bits: r.Sweep ? r.ListBits : 0))
            .OrderBy(g => g.Key.Sweep).ThenBy(g => g.Key.Faults).ThenBy(g => g.Key.Mechanism).ThenBy(g => g.Key.Bits).ThenBy(g => g.Key.Groups)
            .Select(g => (g.Key.Mechanism, g.Key.Groups, g.Key.Faults, g.Max(r => r.ListBits),
                LatencyStats.FromMicros(g.Select(r => r.ReportedMicros).ToArray()),
                LatencyStats.FromMicros(g.Select(r => r.WallMicros).ToArray()),
                g.Average(r => (double)r.WireBytes), g.Count(), g.Count(r => r.Verified), g.Key.Sweep));

    /// <summary>Fusion's main-run recoveries per configuration and what crashed, in the order of <see cref="RecoveryKinds"/>.</summary>
    public static IEnumerable<(int Groups, int Faults, string Kind, LatencyStats Reported, LatencyStats Wall, RecoverySample[] Samples)> RecoveryBreakdown(Measurements m)
    {
        string[] order = [RecoveryKinds.Primary, RecoveryKinds.Backup, RecoveryKinds.ManyPrimary, RecoveryKinds.ManyBackup];
        return m.Recoveries.Where(r => r.Kind != "" && !r.Sweep).GroupBy(r => (r.Groups, r.Faults, r.Kind))
            .OrderBy(g => g.Key.Faults).ThenBy(g => g.Key.Groups).ThenBy(g => Array.IndexOf(order, g.Key.Kind))
            .Select(g => (g.Key.Groups, g.Key.Faults, g.Key.Kind, LatencyStats.FromMicros(g.Select(r => r.ReportedMicros).ToArray()),
                LatencyStats.FromMicros(g.Select(r => r.WallMicros).ToArray()), g.ToArray()));
    }

    /// <summary>Per configuration and element count: the space of the backups alone, and of every process holding list data.</summary>
    public static IEnumerable<(string Mechanism, int Groups, int Faults, int Elements, long BackupHeap, long BackupData, long TotalHeap, long TotalData)> Space(Measurements m) =>
        m.Space.GroupBy(s => (s.Mechanism, s.Groups, s.Faults, s.Elements))
            .OrderBy(g => g.Key.Faults).ThenBy(g => g.Key.Mechanism).ThenBy(g => g.Key.Elements).ThenBy(g => g.Key.Groups)
            .Select(g => (g.Key.Mechanism, g.Key.Groups, g.Key.Faults, g.Key.Elements,
                g.Where(IsBackup).Sum(s => s.HeapBytes), g.Where(IsBackup).Sum(s => s.DataBytes),
                g.Sum(s => s.HeapBytes), g.Sum(s => s.DataBytes)));

    /// <summary>Fusion's backups are its backup servers; replication's are every replica beyond the first of each group.</summary>
    public static bool IsBackup(SpaceSample s) => s.Process.StartsWith("backup", StringComparison.Ordinal) || s.Process.EndsWith("(backup)", StringComparison.Ordinal);
}
