using System.Text.Json.Serialization;

namespace BitFusion.Net.Config;

/// <summary>One process of the cluster as the configuration file names it.</summary>
public sealed class NodeConfig
{
    /// <summary>Unique across the cluster, 0..65535; also the node id sent in handshakes.</summary>
    [JsonRequired]
    public int Id { get; set; }

    /// <summary>primary, backup, manager or datanode.</summary>
    [JsonRequired]
    public string Role { get; set; } = "";

    /// <summary>The address or host name the node listens on and is dialed at (default 127.0.0.1).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The TCP port the node listens on, 1..65535.</summary>
    [JsonRequired]
    public int Port { get; set; }

    /// <summary>For a data node: the replica group it belongs to.</summary>
    public int? Group { get; set; }
}
