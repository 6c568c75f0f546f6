using System.Diagnostics.Metrics;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Diagnostics;

/// <summary>
/// What the observable instruments of <see cref="BitFusionMetrics"/> read: the connection counters of every server
/// in this process and the window of every write path, each registered by its owner for as long as it runs. A
/// process usually runs one node; in-process clusters (benchmarks, tests) register several, told apart by tags.
/// </summary>
internal static class NodeGauges
{
    private static readonly Lock s_gate = new();
    private static readonly List<(PeerIdentity Self, NetCounters Counters)> s_servers = [];
    private static readonly List<WindowSource> s_windows = [];

    /// <summary>A write path's window as a metrics listener reads it: writes in flight, window size, and (fusion) backup lag.</summary>
    public sealed class WindowSource(string mechanism, int size, Func<int> inFlight, Func<long>? backupLag) : IDisposable
    {
        internal KeyValuePair<string, object?> Tag { get; } = new("mechanism", mechanism);
        internal int Size => size;
        internal Func<int> InFlight => inFlight;
        internal Func<long>? BackupLag => backupLag;

        public void Dispose()
        {
            lock (s_gate) s_windows.Remove(this);
        }
    }

    /// <summary>Publishes a server's connection counters until <see cref="RemoveServer"/>.</summary>
    public static void AddServer(PeerIdentity self, NetCounters counters)
    {
        // The meter's observable instruments exist from the first server on, so a process that never records an
        // update (a backup, a data node) still shows them to dotnet-counters and --metrics-port.
        BitFusionMetrics.EnsureCreated();
        lock (s_gate) s_servers.Add((self, counters));
    }

    public static void RemoveServer(NetCounters counters)
    {
        lock (s_gate) s_servers.RemoveAll(s => s.Counters == counters);
    }

    /// <summary>Publishes a write window; dispose the result when the write path stops. The readers may take the owner's lock.</summary>
    public static WindowSource AddWindow(string mechanism, int size, Func<int> inFlight, Func<long>? backupLag = null)
    {
        BitFusionMetrics.EnsureCreated();
        var source = new WindowSource(mechanism, size, inFlight, backupLag);
        lock (s_gate) s_windows.Add(source);
        return source;
    }

    internal static IEnumerable<Measurement<long>> Accepted()
    {
        lock (s_gate) return s_servers.Select(s => new Measurement<long>(s.Counters.Accepted, RoleTags(s.Self))).ToArray();
    }

    internal static IEnumerable<Measurement<long>> ConnectionErrors()
    {
        lock (s_gate)
            return s_servers.SelectMany(s => new[]
            {
                Error(s.Self, "handshake_refused", s.Counters.Rejected),
                Error(s.Self, "protocol_error", s.Counters.ProtocolErrors),
                Error(s.Self, "handshake_overflow", s.Counters.HandshakeOverflows),
                Error(s.Self, "slow_consumer", s.Counters.SlowConsumers),
            }).ToArray();
    }

    internal static IEnumerable<Measurement<int>> WindowOccupancy() =>
        Windows().Select(w => new Measurement<int>(w.InFlight(), w.Tag));

    internal static IEnumerable<Measurement<int>> WindowSize() =>
        Windows().Select(w => new Measurement<int>(w.Size, w.Tag));

    internal static IEnumerable<Measurement<long>> BackupLag() =>
        Windows().Where(w => w.BackupLag is not null).Select(w => new Measurement<long>(w.BackupLag!(), w.Tag));

    // Copied out so that a reader taking a node's lock never runs under this one.
    private static WindowSource[] Windows()
    {
        lock (s_gate) return [.. s_windows];
    }

    private static Measurement<long> Error(PeerIdentity self, string kind, long value) =>
        new(value, [new("role", RoleName(self.Role)), new("node", (int)self.NodeId), new("kind", kind)]);

    private static KeyValuePair<string, object?>[] RoleTags(PeerIdentity self) =>
        [new("role", RoleName(self.Role)), new("node", (int)self.NodeId)];

    private static string RoleName(NodeRole role) => role.ToString().ToLowerInvariant();
}
