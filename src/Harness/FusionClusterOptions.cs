using System.Net;
using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>How a <see cref="FusionCluster"/> runs its processes and how the harness reaches them.</summary>
internal sealed class FusionClusterOptions
{
    /// <summary>The bitfusion executable; see <see cref="BitfusionBinary.Locate"/>.</summary>
    public required string Binary { get; init; }

    /// <summary>Where the cluster file and the node logs go; a fresh temporary folder (deleted at the end) if null.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>The network namespace a node runs in, or null for this process's own.</summary>
    public Func<NodeConfig, string?> Namespace { get; init; } = _ => null;

    /// <summary>Where the harness connects to reach a node; its configured address by default.</summary>
    public Func<NodeConfig, EndPoint> Reach { get; init; } = Cluster.EndPointOf;

    /// <summary>How long a node may take to print its ready line, and a restarted backup to hold every primary again.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Route every node-to-node connection through a <see cref="Faults.FaultProxy"/> (see <see cref="ProcessCluster.Proxies"/>).</summary>
    public bool FaultProxies { get; init; }

    /// <summary>Options added to a node's command line after <c>--id N</c>, e.g. <c>--metrics-port 0</c>.</summary>
    public Func<NodeConfig, IReadOnlyList<string>> Arguments { get; init; } = _ => [];

    /// <summary>
    /// Run every connection over mutual TLS: a fresh CA and certificates (every node, client 1) are issued into the
    /// work folder's tls/ and named by the cluster file, unless the configuration already has a "tls" section.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Lines of each node's output kept in memory for failure reports.</summary>
    public int LogLines { get; init; } = 400;
}
