using System.Security.Cryptography.X509Certificates;
using BitFusion.Integration.Tests.Authority;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Tls;

/// <summary>
/// `bitfusion config --tls` through the real binary: the files it writes, their modes, the identity each certificate
/// carries; `config reissue`; and a bad TLS section or certificate is one line and exit 2.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitfusion-tls-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> ConfigAsync(params string[] more)
    {
        string file = Path.Combine(_dir, "cluster.json");
        var run = await Bitfusion.RunAsync(["config", "--tls", "-n", "2", "-f", "1", "-g", "1", "-o", file, .. more]);
        Assert.True(run.Exit == 0, run.Stderr);
        return file;
    }

    [Fact]
    public async Task ConfigTlsIssuesACaAndOneCertificatePerNodeAndClientNamingItsRoleAndId()
    {
        string file = await ConfigAsync("--tls-clients", "2");
        Cluster cluster = Cluster.Load(file);
        TlsCredentials tls = cluster.Key.Tls!;
        PeerIdentity[] expected = [.. cluster.Config.Nodes.Select(Cluster.IdentityOf), new(NodeRole.Client, 1), new(NodeRole.Client, 2)];
        Assert.Equal(expected.OrderBy(p => p.ToString()), tls.Identities.OrderBy(p => p.ToString()));
        string folder = Path.Combine(_dir, "cluster.tls");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "ca.key")));
        foreach (TlsCertificateConfig entry in cluster.Config.Tls!.Certificates)
        {
            Assert.False(Path.IsPathRooted(entry.Certificate), "paths are relative to the cluster file, so the folder can move");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, entry.Key!)));
            using X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(Path.Combine(_dir, entry.Certificate!), Path.Combine(_dir, entry.Key!));
            Assert.True(CertificateIdentity.TryRead(certificate, out PeerIdentity named));
            Assert.Equal($"{entry.Role}/{entry.Id}", $"{CertificateIdentity.RoleName(named.Role)}/{named.NodeId}");
            Assert.Null(tls.Verify(certificate, out _));
            tls.ContextFor(named);
        }

        ClientFile first = ClientFile.Load(Path.Combine(_dir, "cluster.client.json"));
        ClientFile second = ClientFile.Load(Path.Combine(_dir, "cluster.client-2.json"));
        Assert.Equal(new PeerIdentity(NodeRole.Client, 1), first.Key.Tls!.ClientIdentity);
        Assert.Equal(new PeerIdentity(NodeRole.Client, 2), second.Key.Tls!.ClientIdentity);
        Assert.Single(first.Key.Tls.Identities);
    }

    [Fact]
    public async Task ReissueReplacesOneCertificateFromTheSameCa()
    {
        string file = await ConfigAsync();
        string certificate = Path.Combine(_dir, "cluster.tls", "primary-1.crt");
        string old = await File.ReadAllTextAsync(certificate);
        var run = await Bitfusion.RunAsync("config", "reissue", "-c", file, "--for", "primary/1");
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.NotEqual(old, await File.ReadAllTextAsync(certificate));
        Cluster.Load(file).Key.Tls!.ContextFor(new PeerIdentity(NodeRole.Primary, 1));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "cluster.tls", "primary-1.key")));

        Bitfusion.AssertRefused(await Bitfusion.RunAsync("config", "reissue", "-c", file, "--for", "primary/99"), "no certificate for primary 99");
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("config", "reissue", "-c", file, "--for", "boss/1"), "expected ROLE/ID");
    }

    [Fact]
    public async Task ABadTlsSectionOrCertificateIsOneLineAndExitTwo()
    {
        string file = await ConfigAsync();
        string json = await File.ReadAllTextAsync(file);
        string tls = Path.Combine(_dir, "cluster.tls");

        async Task RefusedAsync(string name, string changed, string named, string id = "1")
        {
            string path = Path.Combine(_dir, name);
            SecretFile.Write(path, changed);
            Bitfusion.AssertRefused(await Bitfusion.RunAsync("primary", "-c", path, "--id", id), named);
        }

        await RefusedAsync("no-ca.json", json.Replace("cluster.tls/ca.crt", "cluster.tls/missing.crt"), "cannot load the TLS CA certificate");
        await RefusedAsync("leaf-as-ca.json", json.Replace("cluster.tls/ca.crt", "cluster.tls/backup-3.crt"), "is not a CA certificate");
        await RefusedAsync("unknown-node.json", json.Replace("\"id\": 4,\n        \"certificate\"", "\"id\": 40,\n        \"certificate\""), "not a node of the cluster");
        await RefusedAsync("bad-role.json", json.Replace("\"role\": \"client\"", "\"role\": \"boss\""), "has role \"boss\"");

        File.Delete(Path.Combine(tls, "primary-2.key"));
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("primary", "-c", file, "--id", "2"), "Cannot load the TLS certificate");
        File.Copy(Path.Combine(tls, "primary-1.crt"), Path.Combine(tls, "backup-3.crt"), overwrite: true);
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("backup", "-c", file, "--id", "3"), "Cannot load the TLS certificate");
        File.Delete(Path.Combine(tls, "client-1.crt"));
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("client", "count", "-c", Path.Combine(_dir, "cluster.client.json"), "-n", "1"), "client-1.crt");
    }
}
