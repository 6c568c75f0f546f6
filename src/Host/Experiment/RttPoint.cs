using BitFusion.Host.Measure;

namespace BitFusion.Host.Experiment;

/// <summary>
/// One mechanism and configuration at one network latency. <see cref="AddedRttMs"/> is null for the main run, whose
/// node-to-node connections go direct; otherwise every one passes a fault proxy adding that much per round trip.
/// <see cref="ProbeRtt"/> is a small frame's round trip over the same path (direct, or through a proxy with that
/// delay), measured in the same run: what the proxy really added.
/// </summary>
internal sealed record RttPoint(string Mechanism, int Groups, int Faults, double? AddedRttMs, LatencyStats ProbeRtt,
    LatencyStats Update, LatencyStats Client, LatencyStats Recovery, LatencyStats RecoveryWall, int Recoveries, int Verified)
{
    public string Path => AddedRttMs is { } rtt ? $"proxy +{rtt:0.###} ms" : "direct";

    /// <summary>Summarises one run's measurements of one mechanism and configuration.</summary>
    public static RttPoint From(Measurements m, string mechanism, int groups, int faults, double? addedRttMs, LatencyStats probe)
    {
        bool Mine(string mech, int g, int f) => mech == mechanism && g == groups && f == faults;
        double[] update = m.Updates.Where(u => Mine(u.Mechanism, u.Groups, u.Faults) && u.Where != "client").Select(u => u.Micros).ToArray();
        double[] client = m.Updates.Where(u => Mine(u.Mechanism, u.Groups, u.Faults) && u.Where == "client").Select(u => u.Micros).ToArray();
        // Fusion: primaries crashed one at a time (the main run may also crash backups, or several nodes at once).
        RecoverySample[] recoveries = m.Recoveries.Where(r => Mine(r.Mechanism, r.Groups, r.Faults) && !r.Sweep
            && (mechanism != "fusion" || (r.Node.StartsWith("primary ", StringComparison.Ordinal) && !r.Node.Contains("(with", StringComparison.Ordinal)))).ToArray();
        return new RttPoint(mechanism, groups, faults, addedRttMs, probe, LatencyStats.FromMicros(update), LatencyStats.FromMicros(client),
            LatencyStats.FromMicros(recoveries.Select(r => r.ReportedMicros).ToArray()), LatencyStats.FromMicros(recoveries.Select(r => r.WallMicros).ToArray()),
            recoveries.Length, recoveries.Count(r => r.Verified));
    }
}
