using System.Text.Json;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Config;

/// <summary>
/// What a client holds: a client-only key, the frame limit, and the servers it may dial. Loaded from a client file,
/// or reduced from a cluster file (a node operator's shortcut; the cluster key goes no further than this reduction).
/// </summary>
public sealed class ClientFile
{
    private ClientFile(ClusterKey key, int maxFrameBytes, long maxListBits, IReadOnlyList<NodeConfig> servers)
    {
        Key = key;
        MaxFrameBytes = maxFrameBytes;
        MaxListBits = maxListBits;
        Servers = servers;
    }

    /// <summary>Always client-only: <see cref="ClusterKey.IsClientOnly"/>.</summary>
    internal ClusterKey Key { get; }

    /// <summary>The largest frame the client sends or accepts, in bytes.</summary>
    public int MaxFrameBytes { get; }

    /// <summary>
    /// The longest list the client accepts in a whole-list read: a server that declares a longer one is a protocol
    /// error before the client allocates anything for it.
    /// </summary>
    public long MaxListBits { get; }

    /// <summary>Primaries and managers, as the cluster file names them.</summary>
    public IReadOnlyList<NodeConfig> Servers { get; }

    /// <summary>
    /// What a client of <paramref name="cluster"/> needs: the client key derived from the cluster key, and its
    /// primaries and managers.
    /// </summary>
    public static ClientFile From(Cluster cluster) =>
        new(cluster.Key.ClientKey(), cluster.Config.MaxFrameBytes, cluster.Config.MaxListBits, cluster.Config.Nodes.Where(IsClientFacing).OrderBy(n => n.Id).ToList());

    /// <summary>The client file's JSON for a cluster; <paramref name="tls"/> names the client's CA and certificate in TLS mode.</summary>
    public static string ToJson(Cluster cluster, TlsConfig? tls = null) => JsonSerializer.Serialize(new ClientConfig
    {
        ClientKey = cluster.Key.ClientKeyHex(),
        Tls = tls,
        MaxFrameBytes = cluster.Config.MaxFrameBytes,
        MaxListBits = cluster.Config.MaxListBits,
        Nodes = cluster.Config.Nodes.Where(IsClientFacing).OrderBy(n => n.Id).ToList(),
    }, ClusterConfigJson.Default.ClientConfig);

    /// <summary>Where `bitfusion config` puts the client file by default: cluster.json → cluster.client.json.</summary>
    public static string DefaultPath(string clusterFile) =>
        Path.Combine(Path.GetDirectoryName(clusterFile) ?? "", Path.GetFileNameWithoutExtension(clusterFile) + ".client.json");

    /// <summary>The file for client <paramref name="number"/> beside the first: cluster.client.json → cluster.client-2.json.</summary>
    public static string NumberedPath(string clientFile, int number) =>
        Path.Combine(Path.GetDirectoryName(clientFile) ?? "", $"{Path.GetFileNameWithoutExtension(clientFile)}-{number}{Path.GetExtension(clientFile)}");

    /// <summary>Loads a client file, or a cluster file reduced to what a client needs.</summary>
    public static ClientFile Load(string path)
    {
        string text = SecretFile.Read(path);
        bool isClientFile;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            isClientFile = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("clientKey", out _);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path} is not valid JSON: {e.Message}");
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (isClientFile) return Parse(text, path, folder);
        ClientFile reduced = From(Cluster.Parse(text, path, folder));
        // Loaded now, as a client file's is, so a missing client certificate is a configuration error, not a failed dial.
        if (reduced.Key.Tls is { } tls) tls.ContextFor(tls.ClientIdentity);
        return reduced;
    }

    /// <summary>
    /// Parses and validates a client file's JSON; <paramref name="source"/> names it in errors. Throws
    /// <see cref="ConfigException"/> with every problem found, in one line.
    /// </summary>
    /// <param name="baseDirectory">Where the file's relative paths (TLS certificates) start; the current folder if null.</param>
    public static ClientFile Parse(string json, string source = "client file", string? baseDirectory = null)
    {
        ClientConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, ClusterConfigJson.Default.ClientConfig);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{source} is not a valid client file: {e.Message}");
        }
        if (config is null) throw new ConfigException($"{source} is empty.");
        if (config.Nodes is null) throw new ConfigException($"{source}: \"nodes\" is null; it must list the primaries and managers.");
        var problems = new List<string>();
        ClusterKey? key = null;
        try
        {
            key = ClusterKey.ParseClientKey(config.ClientKey ?? "");
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
        }
        if (config.MaxFrameBytes is < 4096 or > 1 << 30) problems.Add($"maxFrameBytes = {config.MaxFrameBytes}; it must be 4096..2^30.");
        if (config.MaxListBits is < 1 or > Core.Bits.Delta.MaxBits)
            problems.Add($"maxListBits = {config.MaxListBits}; it must be 1..{Core.Bits.Delta.MaxBits} (2 GiB of words).");
        var seen = new HashSet<int>();
        for (int i = 0; i < config.Nodes.Count; i++)
        {
            NodeConfig? n = config.Nodes[i];
            if (n is null)
            {
                problems.Add($"node #{i + 1} is null.");
                continue;
            }
            if (n.Id is < 0 or > ushort.MaxValue) problems.Add($"node id {n.Id} is outside 0..65535.");
            if (!seen.Add(n.Id)) problems.Add($"node id {n.Id} appears more than once.");
            if (!IsClientFacing(n)) problems.Add($"node {n.Id} has role \"{n.Role}\"; a client file lists primaries and managers.");
            if (n.Port is < 1 or > 65535) problems.Add($"node {n.Id} has port {n.Port}; it must be 1..65535.");
            if (string.IsNullOrWhiteSpace(n.Host)) problems.Add($"node {n.Id} has no host.");
        }
        if (problems.Count == 0 && config.Tls is not null)
        {
            TlsCredentials? tls = TlsSection.Resolve(config.Tls, baseDirectory ?? Directory.GetCurrentDirectory(), _ => false, problems);
            if (tls is not null && tls.Identities.Count(p => p.Role == NodeRole.Client) != 1)
                problems.Add("tls.certificates must hold exactly one client certificate in a client file.");
            else if (tls is not null)
            {
                try
                {
                    tls.ContextFor(tls.ClientIdentity);
                    key!.Tls = tls;
                }
                catch (ConfigException e)
                {
                    problems.Add(e.Message);
                }
            }
        }
        if (problems.Count > 0) throw new ConfigException($"{source} is not a usable client file: {string.Join(" ", problems)}");
        return new ClientFile(key!, config.MaxFrameBytes, config.MaxListBits, config.Nodes);
    }

    private static bool IsClientFacing(NodeConfig node) => node.Role is "primary" or "manager";
}
