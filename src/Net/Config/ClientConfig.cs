namespace BitFusion.Net.Config;

/// <summary>
/// The client file: what `bitfusion client` needs and nothing more — the client key (which authenticates only as a
/// client), the frame limit, and the servers clients talk to (primaries and managers). It never holds the cluster key.
/// </summary>
public sealed class ClientConfig
{
    public string? ClientKey { get; set; }

    public int MaxFrameBytes { get; set; } = Protocol.Frame.DefaultMaxFrameBytes;

    /// <summary>Present: connections run over mutual TLS; the CA and this client's one certificate.</summary>
    public TlsConfig? Tls { get; set; }

    public List<NodeConfig> Nodes { get; set; } = [];
}
