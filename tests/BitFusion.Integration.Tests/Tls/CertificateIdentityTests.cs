using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Tls;

/// <summary>The identity a certificate carries: exactly one well-formed <c>bitfusion:ROLE/ID</c> URI, nothing else counts.</summary>
public sealed class CertificateIdentityTests
{
    [Theory]
    [InlineData("primary/2", (byte)NodeRole.Primary, 2)]
    [InlineData("client/7", (byte)NodeRole.Client, 7)]
    [InlineData("datanode/65535", (byte)NodeRole.DataNode, 65535)]
    public void AWellFormedIdentityParses(string text, byte role, int id)
    {
        Assert.True(CertificateIdentity.TryParse(text, out PeerIdentity identity));
        Assert.Equal(new PeerIdentity((NodeRole)role, (ushort)id), identity);
        Assert.Equal($"bitfusion:{text}", CertificateIdentity.ToUri(identity).ToString());
    }

    [Theory]
    [InlineData("primary")]
    [InlineData("primary/")]
    [InlineData("primary/65536")]
    [InlineData("primary/-1")]
    [InlineData("primary/+1")]
    [InlineData("Primary/1")]
    [InlineData("boss/1")]
    [InlineData("/1")]
    public void AnythingElseDoesNot(string text) => Assert.False(CertificateIdentity.TryParse(text, out _));

    [Fact]
    public void ACertificateNamesOneIdentityOrNone()
    {
        Assert.True(CertificateIdentity.TryRead(Issue("bitfusion:backup/3", "https://example.org/"), out PeerIdentity one));
        Assert.Equal(new PeerIdentity(NodeRole.Backup, 3), one);
        Assert.False(CertificateIdentity.TryRead(Issue("bitfusion:backup/3", "bitfusion:primary/1"), out _), "two identities name nobody");
        Assert.False(CertificateIdentity.TryRead(Issue("bitfusion:backup/x"), out _));
        Assert.False(CertificateIdentity.TryRead(Issue(), out _), "no subject alternative name");
    }

    private static X509Certificate2 Issue(params string[] uris)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bitfusion backup 3", key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (string uri in uris) names.AddUri(new Uri(uri));
            request.CertificateExtensions.Add(names.Build());
        }
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
    }
}
