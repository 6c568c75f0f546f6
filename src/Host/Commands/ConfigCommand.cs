using System.CommandLine;
using BitFusion.Net.Config;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion config`: writes a ready-to-use cluster file with a fresh cluster key (for nodes) and a client file
/// holding only the client key (for `bitfusion client`), both mode 0600.
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
        var command = new Command("config",
            "Write a cluster configuration file for a fusion and/or replication cluster, with a fresh cluster key, and a client file " +
            "whose key can only act as a client.")
        { primaries, faults, groups, managers, host, basePort, output, clientOutput };
        command.SetAction(result =>
        {
            try
            {
                ClusterConfig config = ClusterLayout.Build(result.GetValue(primaries), result.GetValue(faults), result.GetValue(groups),
                    result.GetValue(managers), result.GetRequiredValue(host), result.GetValue(basePort));
                Cluster cluster = Cluster.FromConfig(config);
                string file = result.GetRequiredValue(output).FullName;
                string clientFile = result.GetValue(clientOutput)?.FullName ?? ClientFile.DefaultPath(file);
                if (clientFile == file) throw new ArgumentException("--client-out must differ from --out.");
                SecretFile.Write(file, ClusterLayout.ToJson(config));
                SecretFile.Write(clientFile, ClientFile.ToJson(cluster));
                Console.WriteLine($"wrote {file}: {config.Nodes.Count} nodes, f = {config.Faults}");
                Console.WriteLine($"wrote {clientFile}: the client key and {ClientFile.From(cluster).Servers.Count} servers");
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
