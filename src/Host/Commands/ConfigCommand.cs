using System.CommandLine;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion config`: writes a ready-to-use cluster file with a fresh cluster key (for nodes) and a client file
/// holding only the client key (for `bitfusion client`), both mode 0600. With --tls it also issues a cluster CA and a
/// certificate per node and client into NAME.tls/ next to the cluster file, and both files name them.
/// </summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var primaries = new Option<int>("--primaries", "-n") { Description = "Fusion primaries.", DefaultValueFactory = _ => 3 };
        var faults = new Option<int>("--faults", "-f") { Description = "f: crash faults tolerated.", DefaultValueFactory = _ => 1 };
        var groups = new Option<int>("--groups", "-g") { Description = "Replication groups (f + 1 data nodes each).", DefaultValueFactory = _ => 0 };
        var managers = new Option<int>("--managers", "-m") { Description = "Replication managers (when groups > 0).", DefaultValueFactory = _ => 1 };
        var host = new Option<string>("--host") { Description = "Address every node binds and is reached at.", DefaultValueFactory = _ => "127.0.0.1" };
        var basePort = new Option<int>("--base-port") { Description = "First port; 0 picks free ports.", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the cluster file (nodes only: it holds the cluster key).", Required = true };
        var clientOutput = new Option<FileInfo>("--client-out")
        {
            Description = "Where to write the client file (the client key and the primaries' and managers' addresses). Default: next to --out, named NAME.client.json.",
        };
        var tls = new Option<bool>("--tls")
        {
            Description = "Run every connection over mutual TLS 1.3: issue a cluster CA and one certificate + key per node and per client into NAME.tls/ " +
                          "next to the cluster file (keys mode 0600), and name them in the cluster and client files.",
        };
        var tlsClients = new Option<int>("--tls-clients")
        {
            Description = "Client certificates to issue with --tls (client ids 1..N); the client file gets client 1, NAME.client-K.json client K.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("config",
            "Write a cluster configuration file for a fusion and/or replication cluster, with a fresh cluster key, and a client file " +
            "whose key can only act as a client.")
        { primaries, faults, groups, managers, host, basePort, output, clientOutput, tls, tlsClients };
        command.Subcommands.Add(ReissueCommand.Create());
        command.SetAction(result =>
        {
            try
            {
                ClusterConfig config = ClusterLayout.Build(result.GetValue(primaries), result.GetValue(faults), result.GetValue(groups),
                    result.GetValue(managers), result.GetRequiredValue(host), result.GetValue(basePort));
                string file = result.GetRequiredValue(output).FullName;
                string clientFile = result.GetValue(clientOutput)?.FullName ?? ClientFile.DefaultPath(file);
                if (clientFile == file) throw new ArgumentException("--client-out must differ from --out.");
                int clients = result.GetValue(tlsClients);
                if (result.GetValue(tls) && clients < 1) throw new ArgumentException($"--tls-clients {clients}; it must be at least 1.");
                Cluster.FromConfig(config);
                TlsConfig? issued = null;
                string folder = Path.GetDirectoryName(file)!;
                if (result.GetValue(tls))
                {
                    issued = TlsIssuer.Issue(config, Path.Combine(folder, Path.GetFileNameWithoutExtension(file) + ".tls"), clients);
                    config.Tls = TlsIssuer.RelativeTo(issued, folder, _ => true);
                }
                Cluster cluster = Cluster.FromConfig(config, file, folder);
                SecretFile.Write(file, ClusterLayout.ToJson(config));
                Console.WriteLine($"wrote {file}: {config.Nodes.Count} nodes, f = {config.Faults}{(issued is null ? "" : $", TLS with certificates in {Path.GetDirectoryName(issued.Ca)}")}");
                for (int client = 1; client <= (issued is null ? 1 : clients); client++)
                {
                    string path = client == 1 ? clientFile : ClientFile.NumberedPath(clientFile, client);
                    string clientFolder = Path.GetDirectoryName(path)!;
                    string role = CertificateIdentity.RoleName(NodeRole.Client);
                    TlsConfig? clientTls = issued is null ? null : TlsIssuer.RelativeTo(issued, clientFolder, c => c.Role == role && c.Id == client);
                    SecretFile.Write(path, ClientFile.ToJson(cluster, clientTls));
                    Console.WriteLine($"wrote {path}: the client key{(clientTls is null ? "" : $", client {client}'s certificate")} and {ClientFile.From(cluster).Servers.Count} servers");
                }
                return 0;
            }
            catch (Exception e) when (e is ConfigException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
