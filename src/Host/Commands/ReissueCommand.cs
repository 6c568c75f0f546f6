using System.CommandLine;
using System.Security.Cryptography;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion config reissue`: a fresh key and certificate for one node or client of a TLS cluster, signed by the
/// cluster's CA (ca.key beside ca.crt unless --ca-key says otherwise), written over the files the cluster file names.
/// </summary>
internal static class ReissueCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var identity = new Option<string>("--for") { Description = "Whose certificate: ROLE/ID, e.g. primary/2 or client/1.", Required = true };
        var ca = new Option<FileInfo>("--ca") { Description = "The CA certificate to sign with. Default: the one the cluster file names (tls.ca)." };
        var caKey = new Option<FileInfo>("--ca-key") { Description = "The CA's private key. Default: ca.key beside the CA certificate." };
        var command = new Command("reissue",
            "Replace one node's or client's TLS certificate and key with fresh ones from the cluster CA (the files the cluster file names); " +
            "restart that process to present it.")
        { config, identity, ca, caKey };
        command.SetAction(result =>
        {
            Cluster? cluster = CommonOptions.LoadCluster(result.GetRequiredValue(config));
            if (cluster is null) return 2;
            try
            {
                string text = result.GetRequiredValue(identity);
                if (!CertificateIdentity.TryParse(text, out PeerIdentity who)) throw new ArgumentException($"--for {text}: expected ROLE/ID, e.g. primary/2.");
                if (cluster.Config.Tls is not { } tls) throw new ArgumentException($"{result.GetRequiredValue(config).FullName} does not turn TLS on.");
                string folder = Path.GetDirectoryName(result.GetRequiredValue(config).FullName)!;
                string role = CertificateIdentity.RoleName(who.Role);
                TlsCertificateConfig entry = tls.Certificates.FirstOrDefault(c => c.Role == role && c.Id == who.NodeId)
                    ?? throw new ArgumentException($"the cluster file names no certificate for {who}.");
                string caCertificate = result.GetValue(ca)?.FullName ?? Path.GetFullPath(tls.Ca!, folder);
                string key = result.GetValue(caKey)?.FullName ?? Path.Combine(Path.GetDirectoryName(caCertificate)!, "ca.key");
                // Issued elsewhere first, so a failure (a wrong CA key) leaves the old pair in place.
                string staging = Directory.CreateTempSubdirectory("bitfusion-reissue-").FullName;
                try
                {
                    TlsCertificateConfig fresh = TlsIssuer.Reissue(caCertificate, key, who, staging);
                    File.Move(fresh.Key!, Path.GetFullPath(entry.Key!, folder), overwrite: true);
                    File.Move(fresh.Certificate!, Path.GetFullPath(entry.Certificate!, folder), overwrite: true);
                }
                finally
                {
                    Directory.Delete(staging, recursive: true);
                }
                Console.WriteLine($"wrote {Path.GetFullPath(entry.Certificate!, folder)} and its key for {who}; restart it to present the new certificate");
                return 0;
            }
            catch (Exception e) when (e is ConfigException or ArgumentException or IOException or UnauthorizedAccessException or CryptographicException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
