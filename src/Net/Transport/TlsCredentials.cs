using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BitFusion.Net.Config;

namespace BitFusion.Net.Transport;

/// <summary>
/// What a process holds in TLS mode: the cluster CA (or, while a CA is being replaced, the old and the new one), the
/// only roots any peer's chain may end in, and the certificate
/// and key files it may present, by the identity each is issued for. A certificate is loaded when first presented,
/// so a host keeps only its own key; a missing or unreadable one is a <see cref="ConfigException"/> naming the file.
/// </summary>
internal sealed class TlsCredentials
{
    private readonly X509Certificate2Collection _authorities;
    private readonly IReadOnlyDictionary<PeerIdentity, (string Certificate, string Key)> _files;
    private readonly ConcurrentDictionary<PeerIdentity, SslStreamCertificateContext> _loaded = new();

    /// <param name="authorities">The CA certificates a peer's chain may end in.</param>
    /// <param name="files">Per identity, the PEM certificate and private key files this holder may present.</param>
    public TlsCredentials(X509Certificate2Collection authorities, IReadOnlyDictionary<PeerIdentity, (string Certificate, string Key)> files)
    {
        _authorities = authorities;
        _files = files;
    }

    /// <summary>The identities this holder has a certificate for.</summary>
    public IEnumerable<PeerIdentity> Identities => _files.Keys;

    /// <summary>
    /// Who this holder is when it dials as a client: its one client certificate's identity (the lowest id when a
    /// cluster file names several). In TLS mode a client's handshake id is the one its certificate carries.
    /// </summary>
    public PeerIdentity ClientIdentity =>
        _files.Keys.Where(p => p.Role == NodeRole.Client).OrderBy(p => p.NodeId).Cast<PeerIdentity?>().FirstOrDefault()
        ?? throw new ConfigException("TLS is on but no client certificate is configured, so this process cannot dial as a client.");

    /// <summary>The same CA with only the client certificates: what a client file may hold.</summary>
    public TlsCredentials ForClients() =>
        new(_authorities, _files.Where(f => f.Key.Role == NodeRole.Client).ToDictionary(f => f.Key, f => f.Value));

    /// <summary>Loads the certificate and key issued for <paramref name="self"/> (once), or throws why it cannot.</summary>
    public SslStreamCertificateContext ContextFor(PeerIdentity self)
    {
        if (_loaded.TryGetValue(self, out SslStreamCertificateContext? context)) return context;
        if (!_files.TryGetValue(self, out (string Certificate, string Key) files))
            throw new ConfigException($"TLS is on but no certificate is configured for {self}.");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(files.Certificate, files.Key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ConfigException($"Cannot load the TLS certificate {files.Certificate} with key {files.Key}: {e.Message}");
        }
        if (!CertificateIdentity.TryRead(certificate, out PeerIdentity named) || named != self)
            throw new ConfigException($"{files.Certificate} is not issued for {self}.");
        if (Verify(certificate, out _) is { } problem)
            throw new ConfigException($"{files.Certificate}: {problem}.");
        return _loaded.GetOrAdd(self, SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
    }

    /// <summary>
    /// Why a peer's certificate is refused (null when it is accepted): it must chain to the cluster CA alone — the
    /// system's roots count for nothing — and name exactly one BitFusion identity, returned in <paramref name="identity"/>.
    /// </summary>
    public string? Verify(X509Certificate? presented, out PeerIdentity identity)
    {
        identity = default;
        if (presented is null) return "no certificate was presented";
        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(certificate))
        {
            string status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            return $"the certificate \"{certificate.Subject}\" is not issued by this cluster's CA ({status})";
        }
        if (!CertificateIdentity.TryRead(certificate, out identity))
            return $"the certificate \"{certificate.Subject}\" names no single bitfusion:ROLE/ID identity";
        return null;
    }
}
