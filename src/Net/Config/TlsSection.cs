using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Config;

/// <summary>Checks a file's "tls" section and turns it into <see cref="TlsCredentials"/>, listing every problem found.</summary>
internal static class TlsSection
{
    private static readonly string[] Roles = ["primary", "backup", "manager", "datanode", "client"];

    /// <param name="baseDirectory">Where relative paths start: the folder of the file that names them.</param>
    /// <param name="isNode">Whether a (role, id) is a node the file configures; every entry that is not a client must be one.</param>
    public static TlsCredentials? Resolve(TlsConfig tls, string baseDirectory, Func<PeerIdentity, bool> isNode, List<string> problems)
    {
        int before = problems.Count;
        X509Certificate2Collection? authorities = null;
        if (string.IsNullOrWhiteSpace(tls.Ca)) problems.Add("tls.ca is missing: it must name the cluster CA's certificate.");
        else authorities = LoadAuthorities(Path.GetFullPath(tls.Ca, baseDirectory), problems);
        if (tls.Certificates is null)
        {
            problems.Add("tls.certificates is null; it must list the certificates.");
            return null;
        }
        var files = new Dictionary<PeerIdentity, (string Certificate, string Key)>();
        for (int i = 0; i < tls.Certificates.Count; i++)
        {
            TlsCertificateConfig? c = tls.Certificates[i];
            if (c is null)
            {
                problems.Add($"tls.certificates #{i + 1} is null.");
                continue;
            }
            if (c.Role is null || !Roles.Contains(c.Role))
            {
                problems.Add($"tls.certificates #{i + 1} has role \"{c.Role}\"; expected {string.Join(", ", Roles)}.");
                continue;
            }
            if (c.Id is < 0 or > ushort.MaxValue)
            {
                problems.Add($"tls.certificates #{i + 1} has id {c.Id}; it must be 0..65535.");
                continue;
            }
            CertificateIdentity.TryParse($"{c.Role}/{c.Id}", out PeerIdentity identity);
            if (identity.Role != NodeRole.Client && !isNode(identity)) problems.Add($"tls.certificates names {identity}, which is not a node of the cluster.");
            if (string.IsNullOrWhiteSpace(c.Certificate) || string.IsNullOrWhiteSpace(c.Key))
                problems.Add($"tls.certificates entry for {identity} needs both \"certificate\" and \"key\".");
            else if (!files.TryAdd(identity, (Path.GetFullPath(c.Certificate, baseDirectory), Path.GetFullPath(c.Key, baseDirectory))))
                problems.Add($"tls.certificates names {identity} more than once.");
        }
        return problems.Count == before ? new TlsCredentials(authorities!, files) : null;
    }

    /// <summary>The CA certificates in a PEM file: usually one; two while the cluster moves to a new CA.</summary>
    private static X509Certificate2Collection? LoadAuthorities(string path, List<string> problems)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            problems.Add($"cannot load the TLS CA certificate {path}: {e.Message}");
            return null;
        }
        if (authorities.Count == 0)
        {
            problems.Add($"{path} holds no PEM certificate.");
            return null;
        }
        foreach (X509Certificate2 authority in authorities)
        {
            if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                problems.Add($"{path}: \"{authority.Subject}\" is not a CA certificate (no basic constraint CA:true).");
                return null;
            }
        }
        return authorities;
    }
}
