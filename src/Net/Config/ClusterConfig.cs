namespace BitFusion.Net.Config;

/// <summary>
/// The cluster as one JSON file: every node's id, role, host and port, and f. The same file starts every process;
/// primaries are numbered by ascending id (primary index 0..n-1), and so are backups (backup index 0..f-1).
/// </summary>
public sealed class ClusterConfig
{
    /// <summary>f: the crash faults tolerated. Fusion runs f backups; replication runs f + 1 data nodes per group.</summary>
    public int Faults { get; set; } = 1;

    /// <summary>Hex or text; overridden by the BITFUSION_CLUSTER_KEY environment variable.</summary>
    public string? ClusterKey { get; set; }

    /// <summary>
    /// The largest frame any node sends or accepts, in bytes (4096..2^30); a list's whole-list transfers must fit in
    /// it.
    /// </summary>
    public int MaxFrameBytes { get; set; } = Protocol.Frame.DefaultMaxFrameBytes;

    /// <summary>
    /// The longest list any node keeps or accepts, in bits (1..17,179,869,120, the default: 2 GiB of words). A write
    /// that would grow a list past it is refused; a length a peer declares past it (a delta, a snapshot, a residual, a
    /// state transfer, a status) closes that connection before anything is allocated for it.
    /// </summary>
    public long MaxListBits { get; set; } = Core.Bits.Delta.MaxBits;

    /// <summary>Bytes a connection may have queued for a peer that reads too slowly before it is disconnected; unset: maxFrameBytes + 8 MiB.</summary>
    public long? MaxSendQueueBytes { get; set; }

    /// <summary>Connections a server lets sit in their handshake at once; one more is closed on arrival.</summary>
    public int MaxHandshakes { get; set; } = Transport.FrameServer.DefaultMaxHandshakes;

    /// <summary>How many operations a primary keeps in flight before new ones wait.</summary>
    public int Window { get; set; } = 4096;

    /// <summary>A connection idle this long (ms) sends a heartbeat, so silence means a paused process or a dead link.</summary>
    public int HeartbeatMs { get; set; } = 300;

    /// <summary>
    /// A peer silent this long (ms) is suspected and treated as failed. Five heartbeats: a GC pause or a busy
    /// scheduler on a loaded machine rarely silences a process that long, and detection stays well under the
    /// several seconds a client waits.
    /// </summary>
    public int SuspectAfterMs { get; set; } = 1500;

    /// <summary>
    /// The fewest backups that must acknowledge a fusion write (1..f); unset: f. With fewer streaming, writes fail at
    /// once as not done. f keeps fusion's promise (an acknowledged write survives any f crashes); each step lower
    /// keeps writing through that many suspected backups at the cost of one crash of tolerance for those writes.
    /// </summary>
    public int? MinAckBackups { get; set; }

    /// <summary>Present: every connection runs over mutual TLS with these certificates (see <see cref="TlsConfig"/>).</summary>
    public TlsConfig? Tls { get; set; }

    /// <summary>Every process of the cluster.</summary>
    public List<NodeConfig> Nodes { get; set; } = [];
}
