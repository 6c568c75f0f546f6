using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Config;

/// <summary>
/// Makes a cluster's TLS material with <see cref="CertificateRequest"/>: a CA (ECDSA P-256) and, signed by it, one
/// certificate and key per node and per client, each naming its role and id (see <see cref="CertificateIdentity"/>).
/// Certificates are written world-readable, keys (the CA's too) mode 0600.
/// </summary>
internal static class TlsIssuer
{
    /// <summary>How long the CA is valid: certificates it issues end no later.</summary>
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    /// <summary>How long a node's or client's certificate is valid; replace it before then with `bitfusion config reissue`.</summary>
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(825);

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// Writes a fresh CA (ca.crt, ca.key) and a certificate per node of <paramref name="config"/> and per client
    /// 1..<paramref name="clients"/> into <paramref name="folder"/>; returns the "tls" section with absolute paths.
    /// </summary>
    public static TlsConfig Issue(ClusterConfig config, string folder, int clients)
    {
        if (clients < 0) throw new ArgumentException($"{clients} client certificates; it must be 0 or more.");
        Directory.CreateDirectory(folder);
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=BitFusion cluster CA", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = request.CreateSelfSigned(now.AddHours(-1), now + CaLifetime);
        string caPath = Path.GetFullPath(Path.Combine(folder, "ca.crt"));
        WriteCertificate(caPath, ca);
        SecretFile.Write(Path.Combine(folder, "ca.key"), caKey.ExportPkcs8PrivateKeyPem());

        var section = new TlsConfig { Ca = caPath };
        IEnumerable<PeerIdentity> identities = config.Nodes.Select(Cluster.IdentityOf)
            .Concat(Enumerable.Range(1, clients).Select(i => new PeerIdentity(NodeRole.Client, (ushort)i)));
        foreach (PeerIdentity identity in identities) section.Certificates.Add(IssueOne(ca, identity, folder));
        return section;
    }

    /// <summary>Issues (or re-issues) the certificate and key for one identity, signed by the CA whose files are given.</summary>
    public static TlsCertificateConfig Reissue(string caCertificate, string caKey, PeerIdentity identity, string folder)
    {
        using X509Certificate2 ca = X509Certificate2.CreateFromPemFile(caCertificate, caKey);
        return IssueOne(ca, identity, folder);
    }

    /// <summary>A copy of <paramref name="tls"/> keeping the certificates <paramref name="keep"/> selects, its paths relative to <paramref name="folder"/>.</summary>
    public static TlsConfig RelativeTo(TlsConfig tls, string folder, Func<TlsCertificateConfig, bool> keep) => new()
    {
        Ca = Path.GetRelativePath(folder, tls.Ca!),
        Certificates = tls.Certificates.Where(keep).Select(c => new TlsCertificateConfig
        {
            Role = c.Role, Id = c.Id, Certificate = Path.GetRelativePath(folder, c.Certificate!), Key = Path.GetRelativePath(folder, c.Key!),
        }).ToList(),
    };

    private static TlsCertificateConfig IssueOne(X509Certificate2 ca, PeerIdentity identity, string folder)
    {
        string role = CertificateIdentity.RoleName(identity.Role);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=bitfusion {role} {identity.NodeId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        // Nodes both accept and dial; a client only dials.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            identity.Role == NodeRole.Client ? new OidCollection { ClientAuth } : new OidCollection { ServerAuth, ClientAuth }, critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(CertificateIdentity.ToUri(identity));
        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset notAfter = now + CertificateLifetime < ca.NotAfter ? now + CertificateLifetime : ca.NotAfter;
        using X509Certificate2 certificate = request.Create(ca, now.AddHours(-1), notAfter, serial);
        string certificatePath = Path.GetFullPath(Path.Combine(folder, $"{role}-{identity.NodeId}.crt"));
        string keyPath = Path.GetFullPath(Path.Combine(folder, $"{role}-{identity.NodeId}.key"));
        WriteCertificate(certificatePath, certificate);
        SecretFile.Write(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new TlsCertificateConfig { Role = role, Id = identity.NodeId, Certificate = certificatePath, Key = keyPath };
    }

    private static void WriteCertificate(string path, X509Certificate2 certificate)
    {
        try
        {
            File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot write {path}: {e.Message}");
        }
    }
}
