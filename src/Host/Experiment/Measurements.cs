namespace BitFusion.Host.Experiment;

/// <summary>One update's time, measured where the study measured it (Where = primary or manager) or end to end (client).</summary>
internal readonly record struct UpdateSample(string Mechanism, int Groups, int Faults, string Where, double Micros);

/// <summary>
/// One crash and recovery: the node's own figure (rebuild or rejoin time it reports) and the wall time from the
/// SIGKILL to the restarted process serving; Verified says the recovered list equalled its owner's.
/// </summary>
internal readonly record struct RecoverySample(
    string Mechanism, int Groups, int Faults, string Node, int ListBits, double ReportedMicros, double WallMicros, long WireBytes, bool Verified,
    bool Sweep = false);

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
