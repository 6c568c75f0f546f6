namespace BitFusion.Host.Experiment;

/// <summary>One update's time, measured where the study measured it (Where = primary or manager) or end to end (client).</summary>
internal readonly record struct UpdateSample(string Mechanism, int Groups, int Faults, string Where, double Micros);

/// <summary>
/// One crash and recovery: the node's own figure (rebuild or rejoin time it reports) and the wall time from the
/// SIGKILL to the restarted process serving; Verified says the recovered list equalled its owner's. Kind says what
/// crashed (<see cref="RecoveryKinds"/>); Phases, where the fusion figure went.
/// </summary>
internal readonly record struct RecoverySample(
    string Mechanism, int Groups, int Faults, string Node, int ListBits, double ReportedMicros, double WallMicros, long WireBytes, bool Verified,
    bool Sweep = false, string Kind = "", RecoveryPhaseSample Phases = default);

/// <summary>
/// Where one fusion recovery's time went, in µs. A primary's come from its ready line (connect_us .. solve_us,
/// attempts, and start_us: from its command starting to its ready line); a backup's re-encode is the time from its
/// ready line to holding every primary again, which the experiment polls every millisecond.
/// </summary>
internal readonly record struct RecoveryPhaseSample(
    double Connect, double Reconcile, double Status, double Cut, double Solve, double Start, int Attempts, double Reencode)
{
    public static RecoveryPhaseSample FromReady(Harness.ReadyLine ready) => new(
        ready.Int64("connect_us"), ready.Int64("reconcile_us"), ready.Int64("status_us"), ready.Int64("cut_us"), ready.Int64("solve_us"),
        ready.Int64("start_us"), (int)ready.Int64("attempts"), 0);

    public static RecoveryPhaseSample Backup(double reencodeMicros) => new(0, 0, 0, 0, 0, 0, 0, reencodeMicros);
}

/// <summary>What crashed in a fusion recovery sample: the breakdown table groups by it.</summary>
internal static class RecoveryKinds
{
    public const string Primary = "primary alone";
    public const string Backup = "backup alone";
    public const string ManyPrimary = "f at once: a primary";
    public const string ManyBackup = "f at once: a backup";
}

/// <summary>What one backup (fusion) or replica (AR) occupies: exact retained heap bytes and the raw data bytes.</summary>
internal readonly record struct SpaceSample(string Mechanism, int Groups, int Faults, int Elements, string Process, long HeapBytes, long DataBytes);

/// <summary>Messages and bytes that crossed the wire during a phase, per update or per recovery.</summary>
internal readonly record struct WireSample(string Mechanism, int Groups, int Faults, string Phase, double BytesPerUnit, double FramesPerUnit);

/// <summary>Everything one run of the experiment measured.</summary>
internal sealed class Measurements
{
    public List<UpdateSample> Updates { get; } = [];
    public List<RecoverySample> Recoveries { get; } = [];
    public List<SpaceSample> Space { get; } = [];
    public List<WireSample> Wire { get; } = [];
    public List<string> Failures { get; } = [];

    /// <summary>With --rtt: each mechanism and configuration direct and at each added round-trip time.</summary>
    public List<RttPoint> Rtt { get; } = [];
}
