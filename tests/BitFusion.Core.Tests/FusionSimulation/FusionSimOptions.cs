namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>The shape of one simulated fusion cluster run; <see cref="Random"/> picks one per seed.</summary>
internal sealed record FusionSimOptions(
    int Primaries,
    int Faults,
    int MinAckBackups,
    int Clients,
    int OpsPerClient,
    int FaultEvents,
    bool Pauses,
    bool Crashes,
    bool Drops,
    bool SlowReaders,
    bool Growing)
{
    public const long TickMs = 50;
    public const long HeartbeatMs = 300;
    public const long SuspectAfterMs = 1500;
    public const long ClientTimeoutMs = 4000;

    /// <summary>Once faults stop, everything must have settled and every script finished within this much simulated time.</summary>
    public const long SettleMs = 60_000;

    /// <summary>A growing seed's clients each open with an AppendMany of up to this many bits, so whole lists span several chunks.</summary>
    public const int MaxOpeningBits = 400;

    /// <summary>How long one chunk occupies its link (the messages behind it wait), as a list's bytes take time on a real wire.</summary>
    public const long ChunkWireMs = 3;

    public static FusionSimOptions Random(Random r)
    {
        int f = r.Next(1, 4);
        return new FusionSimOptions(
            Primaries: r.Next(1, 4),
            Faults: f,
            MinAckBackups: r.Next(1, f + 1),
            Clients: r.Next(1, 4),
            OpsPerClient: r.Next(10, 40),
            FaultEvents: r.Next(1, 7),
            Pauses: r.Next(3) != 0,
            Crashes: r.Next(3) != 0,
            Drops: r.Next(3) != 0,
            SlowReaders: r.Next(4) == 0,
            // Drawn last, so every other field of a seed is what it was before lists grew past one chunk.
            Growing: r.Next(2) == 0);
    }
}
