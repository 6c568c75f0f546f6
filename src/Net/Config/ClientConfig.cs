namespace BitFusion.Net.Config;

/// <summary>
/// The client file: what `bitfusion client` needs and nothing more — the client key (which authenticates only as a
/// client), the frame limit, and the servers clients talk to (primaries and managers). It never holds the cluster key.
/// </summary>
public sealed class ClientConfig
{
    /// <summary>The client key in hex: it authenticates a client and nothing else.</summary>
    public string? ClientKey { get; set; }

    /// <summary>The largest frame the client sends or accepts, in bytes (4096..2^30; the cluster's value).</summary>
    public int MaxFrameBytes { get; set; } = Protocol.Frame.DefaultMaxFrameBytes;

    /// <summary>The longest list the client accepts in a read (1..17,179,869,120; the cluster's value).</summary>
    public long MaxListBits { get; set; } = Core.Bits.Delta.MaxBits;

    /// <summary>Present: connections run over mutual TLS; the CA and this client's one certificate.</summary>
    public TlsConfig? Tls { get; set; }

    /// <summary>The primaries and managers a client may dial.</summary>
    public List<NodeConfig> Nodes { get; set; } = [];
}
