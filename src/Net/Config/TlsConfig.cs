namespace BitFusion.Net.Config;

/// <summary>
/// The "tls" section of a cluster or client file: present, every connection runs over mutual TLS 1.3. Paths are
/// relative to the file's folder unless absolute.
/// </summary>
public sealed class TlsConfig
{
    /// <summary>The cluster CA's certificate (PEM): the only root a peer's certificate may chain to.</summary>
    public string? Ca { get; set; }

    /// <summary>One entry per node (and per client) that may present a certificate.</summary>
    public List<TlsCertificateConfig> Certificates { get; set; } = [];
}
