namespace BitFusion.Net.Config;

/// <summary>One certificate and its private key (PEM files), issued for one role and id.</summary>
public sealed class TlsCertificateConfig
{
    /// <summary>primary, backup, manager, datanode or client.</summary>
    public string? Role { get; set; }

    /// <summary>The node id (a client's: the id it dials under).</summary>
    public int Id { get; set; }

    /// <summary>The certificate (PEM), issued by the cluster CA for this role and id.</summary>
    public string? Certificate { get; set; }

    /// <summary>The private key; mode 0600.</summary>
    public string? Key { get; set; }
}
