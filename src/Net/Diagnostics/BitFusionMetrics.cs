using System.Diagnostics;
using System.Diagnostics.Metrics;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Diagnostics;

/// <summary>
/// The figures every node publishes through <see cref="System.Diagnostics.Metrics"/>, on one <see cref="Meter"/>
/// named <c>BitFusion</c> (what <c>dotnet-counters monitor --counters BitFusion</c> and <c>--metrics-port</c> show).
/// Most instruments are observable: they read the counters the transport and the nodes keep anyway when a listener
/// asks, so the paths that do the work only pay for the update-time histogram and the operations counter.
/// Durations are in seconds, as OpenTelemetry's conventions name them.
/// </summary>
internal static class BitFusionMetrics
{
    public const string MeterName = "BitFusion";

    public static Meter Meter { get; } = new(MeterName, "1.0");

    /// <summary>Writes completed, at the fusion primary or the replication manager, tagged with the mechanism.</summary>
    internal static Counter<long> Operations { get; } = Meter.CreateCounter<long>("bitfusion.operations", "{operation}",
        "Writes completed: at a fusion primary once every streaming backup holds them, at a replication manager once every replica delivered them.");

    /// <summary>Each write's time from arrival to completion where the 2016 study measured it.</summary>
    internal static Histogram<double> UpdateDuration { get; } = Meter.CreateHistogram<double>("bitfusion.update.duration", "s",
        "Update time of a write from its arrival to its completion (fusion primary, replication manager).");

    /// <summary>Recoveries this process made or watched: a primary's rebuild, a data node's rejoin, a manager's view of a rejoin.</summary>
    internal static Counter<long> Recoveries { get; } = Meter.CreateCounter<long>("bitfusion.recoveries", "{recovery}",
        "Recoveries: a primary rebuilt after a restart, a data node that rejoined, a rejoin a manager completed.");

    internal static Histogram<double> RecoveryDuration { get; } = Meter.CreateHistogram<double>("bitfusion.recovery.duration", "s",
        "Time of each recovery: a primary's rebuild, a data node's rejoin, the pause a rejoin cost its group at the manager.");

    static BitFusionMetrics()
    {
        Meter.CreateObservableCounter("bitfusion.wire.bytes", () => new[]
        {
            new Measurement<long>(Connection.TotalBytesSent, new KeyValuePair<string, object?>("direction", "sent")),
            new Measurement<long>(Connection.TotalBytesReceived, new KeyValuePair<string, object?>("direction", "received")),
        }, "By", "Bytes this process sent and received on every connection, frame headers included.");
        Meter.CreateObservableCounter("bitfusion.wire.frames", () => new[]
        {
            new Measurement<long>(Connection.TotalFramesSent, new KeyValuePair<string, object?>("direction", "sent")),
            new Measurement<long>(Connection.TotalFramesReceived, new KeyValuePair<string, object?>("direction", "received")),
        }, "{frame}", "Frames this process sent and received (heartbeats received are not counted).");
        Meter.CreateObservableCounter("bitfusion.connections.accepted", NodeGauges.Accepted, "{connection}",
            "Connections this node's server admitted after their handshake.");
        Meter.CreateObservableCounter("bitfusion.connection.errors", NodeGauges.ConnectionErrors, "{connection}",
            "Connections this node's server closed, by kind: handshake_refused, protocol_error, handshake_overflow, slow_consumer.");
        Meter.CreateObservableGauge("bitfusion.window.occupancy", NodeGauges.WindowOccupancy, "{operation}",
            "Writes in flight (accepted, not yet complete) at a fusion primary or a replication manager.");
        Meter.CreateObservableGauge("bitfusion.window.size", NodeGauges.WindowSize, "{operation}",
            "The write window: how many writes may be in flight at once.");
        Meter.CreateObservableGauge("bitfusion.backup.lag", NodeGauges.BackupLag, "{operation}",
            "At a fusion primary: writes sent that the slowest streaming backup has not acknowledged yet.");
    }

    /// <summary>Creates the meter and its instruments if nothing has yet (they are created once, on first use of this class).</summary>
    public static void EnsureCreated()
    {
    }

    /// <summary>Records a completed recovery of the given kind (rebuild, rejoin, rejoin_pause).</summary>
    public static void RecordRecovery(string kind, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        Recoveries.Add(1, tag);
        RecoveryDuration.Record(duration.TotalSeconds, tag);
    }

    /// <summary>Records one completed write that took <paramref name="elapsedTicks"/> (<see cref="Stopwatch"/> ticks).</summary>
    internal static void RecordUpdate(in KeyValuePair<string, object?> mechanism, long elapsedTicks)
    {
        Operations.Add(1, mechanism);
        if (UpdateDuration.Enabled) UpdateDuration.Record((double)elapsedTicks / Stopwatch.Frequency, mechanism);
    }
}
