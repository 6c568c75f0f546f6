using System.CommandLine;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>Options every node role shares, and the one place that turns a bad configuration into exit code 2.</summary>
internal static class CommonOptions
{
    public static Option<FileInfo> Config() => new("--config", "-c")
    {
        Description = "The cluster configuration file (JSON). The same file starts every process.",
        Required = true,
    };

    public static Option<int> Id() => new("--id")
    {
        Description = "This node's id in the configuration file.",
        Required = true,
    };

    public static Option<int?> MetricsPort() => new("--metrics-port")
    {
        Description = "Serve this node's metrics (the BitFusion meter) in Prometheus text format at http://HOST:PORT/metrics, " +
                      "HOST being the node's own address; 0 picks a free port, which the ready line names (metrics_port=).",
    };

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Log debugging detail to standard error." };

    /// <summary>
    /// Loads the configuration, or prints why it cannot be used and returns null. A file that holds the key and that
    /// group or others may read earns one warning line.
    /// </summary>
    public static Cluster? LoadCluster(FileInfo file)
    {
        try
        {
            Cluster cluster = Cluster.Load(file.FullName);
            if (cluster.Config.ClusterKey is not null && SecretFile.SharingWarning(file.FullName) is { } warning) Console.Error.WriteLine(warning);
            return cluster;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }

    /// <summary>Loads a client file (or a cluster file reduced to its client key), or prints why not and returns null.</summary>
    public static ClientFile? LoadClientFile(FileInfo file)
    {
        try
        {
            ClientFile client = ClientFile.Load(file.FullName);
            if (SecretFile.SharingWarning(file.FullName) is { } warning) Console.Error.WriteLine(warning);
            return client;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }

    /// <summary>The node this process runs, once its role is checked: what an error at startup names.</summary>
    public static string? Starting { get; private set; }

    /// <summary>Checks the id names a node of the given role (and in TLS mode that its certificate loads), or prints why not.</summary>
    public static bool CheckRole(Cluster cluster, int id, string role)
    {
        NodeConfig? node = cluster.Config.Nodes.FirstOrDefault(n => n.Id == id);
        if (node is null)
        {
            Console.Error.WriteLine($"error: node {id} is not in the configuration (ids: {string.Join(", ", cluster.Config.Nodes.Select(n => n.Id))}).");
            return false;
        }
        if (node.Role != role)
        {
            Console.Error.WriteLine($"error: node {id} is a {node.Role} in the configuration, not a {role}.");
            return false;
        }
        if (cluster.Key.Tls is { } tls)
        {
            try
            {
                tls.ContextFor(Cluster.IdentityOf(node));
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return false;
            }
        }
        Log.Name = $"{role}#{id}";
        Starting = $"{role} {id} ({node.Host}:{node.Port})";
        return true;
    }

    /// <summary>Waits for Ctrl-C or SIGTERM: the polite stop. A crash is SIGKILL, which nothing here sees.</summary>
    public static async Task WaitForShutdown(CancellationToken cancellation)
    {
        var stop = new TaskCompletionSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.TrySetResult();
            });
        using CancellationTokenRegistration _ = cancellation.Register(() => stop.TrySetResult());
        await stop.Task.ConfigureAwait(false);
    }
}
