using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Opens TLS 1.3 on an accepted or dialed socket, both sides presenting a certificate from <see cref="TlsCredentials"/>
/// and each checking the other's against the cluster CA only. The identity the peer's certificate names comes back
/// for the BitFusion handshake that follows to compare with what the peer claims. A refused certificate is a
/// <see cref="HandshakeRejectedException"/> saying why; any other failure is a <see cref="ProtocolException"/>.
/// </summary>
internal static class TlsChannel
{
    /// <summary>Any name: peers are checked by the identity in their certificate, not by host name.</summary>
    private const string TargetHost = "bitfusion";

    public static async Task<(SslStream Stream, PeerIdentity Certified)> AcceptAsync(
        Socket socket, TlsCredentials credentials, PeerIdentity self, CancellationToken cancellation)
    {
        string? refusal = null;
        PeerIdentity certified = default;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = credentials.ContextFor(self),
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => (refusal = credentials.Verify(certificate, out certified)) is null,
        };
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        await AuthenticateAsync(stream, (s, t) => s.AuthenticateAsServerAsync(options, t), () => refusal, cancellation).ConfigureAwait(false);
        return (stream, certified);
    }

    /// <summary>Dials TLS as <paramref name="self"/>; the server's certificate must be issued for <paramref name="server"/>.</summary>
    public static async Task<SslStream> ConnectAsync(
        Socket socket, TlsCredentials credentials, PeerIdentity self, PeerIdentity server, CancellationToken cancellation)
    {
        string? refusal = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost,
            ClientCertificateContext = credentials.ContextFor(self),
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                refusal = credentials.Verify(certificate, out PeerIdentity certified);
                if (refusal is null && certified != server) refusal = $"expected {server} but its certificate is issued to {certified}";
                return refusal is null;
            },
        };
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        await AuthenticateAsync(stream, (s, t) => s.AuthenticateAsClientAsync(options, t), () => refusal, cancellation).ConfigureAwait(false);
        return stream;
    }

    private static async Task AuthenticateAsync(SslStream stream, Func<SslStream, CancellationToken, Task> authenticate, Func<string?> refusal, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(Handshake.DefaultTimeout);
        try
        {
            await authenticate(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellation.IsCancellationRequested) throw;
            if (refusal() is { } why) throw new HandshakeRejectedException(RejectCode.BadCertificate, $"TLS: {why}");
            throw new ProtocolException(e is OperationCanceledException
                ? $"No TLS handshake within {Handshake.DefaultTimeout.TotalSeconds:0} s."
                : $"TLS handshake failed: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}");
        }
    }
}
