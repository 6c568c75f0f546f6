using System.Net;
using System.Text.Json;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Config;

/// <summary>A validated <see cref="ClusterConfig"/> with its nodes sorted into roles, and the cluster key resolved.</summary>
public sealed class Cluster
{
    private Cluster(ClusterConfig config, ClusterKey key)
    {
        Config = config;
        Key = key;
        Primaries = Ordered("primary");
        Backups = Ordered("backup");
        Managers = Ordered("manager");
        DataNodes = Ordered("datanode");
        Groups = DataNodes.GroupBy(d => d.Group!.Value).OrderBy(g => g.Key).Select(g => (IReadOnlyList<NodeConfig>)g.ToList()).ToList();
    }

    public ClusterConfig Config { get; }
    public ClusterKey Key { get; }
    public int Faults => Config.Faults;
    public IReadOnlyList<NodeConfig> Primaries { get; }
    public IReadOnlyList<NodeConfig> Backups { get; }
    public IReadOnlyList<NodeConfig> Managers { get; }
    public IReadOnlyList<NodeConfig> DataNodes { get; }

    /// <summary>Data nodes by group number (groups are numbered 0..g-1 without gaps).</summary>
    public IReadOnlyList<IReadOnlyList<NodeConfig>> Groups { get; }

    public NodeConfig Node(int id) =>
        Config.Nodes.FirstOrDefault(n => n.Id == id) ?? throw new ConfigException($"No node with id {id} in the configuration.");

    public int PrimaryIndex(int id) => IndexOf(Primaries, id, "primary");

    public int BackupIndex(int id) => IndexOf(Backups, id, "backup");

    public static EndPoint EndPointOf(NodeConfig node) =>
        IPAddress.TryParse(node.Host, out IPAddress? ip) ? new IPEndPoint(ip, node.Port) : new DnsEndPoint(node.Host, node.Port);

    /// <summary>Where a node listens: its configured address when that is an IP literal, else every interface.</summary>
    public static IPEndPoint BindEndPointOf(NodeConfig node) =>
        new(IPAddress.TryParse(node.Host, out IPAddress? ip) ? ip : IPAddress.Any, node.Port);

    public static Cluster Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read the configuration file {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    public static Cluster Parse(string json, string source = "configuration")
    {
        ClusterConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, ClusterConfigJson.Default.ClusterConfig);
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{source} is not valid cluster JSON: {e.Message}");
        }
        if (config is null) throw new ConfigException($"{source} is empty.");
        return FromConfig(config, source);
    }

    public static Cluster FromConfig(ClusterConfig config, string source = "configuration")
    {
        var problems = new List<string>();
        if (config.Faults is < 1 or > 16) problems.Add($"faults = {config.Faults}; it must be 1..16.");
        if (config.MaxFrameBytes is < 4096 or > 1 << 30) problems.Add($"maxFrameBytes = {config.MaxFrameBytes}; it must be 4096..2^30.");
        if (config.Window is < 1 or > 1 << 20) problems.Add($"window = {config.Window}; it must be 1..1048576.");
        if (config.HeartbeatMs is < 10 or > 60_000) problems.Add($"heartbeatMs = {config.HeartbeatMs}; it must be 10..60000.");
        if (config.SuspectAfterMs < 2 * config.HeartbeatMs || config.SuspectAfterMs > 600_000)
            problems.Add($"suspectAfterMs = {config.SuspectAfterMs}; it must be at least 2 × heartbeatMs ({2 * config.HeartbeatMs}) and at most 600000, " +
                         "or an idle but healthy peer is suspected between two heartbeats.");
        var seen = new HashSet<int>();
        foreach (NodeConfig n in config.Nodes)
        {
            if (n.Id is < 0 or > ushort.MaxValue) problems.Add($"node id {n.Id} is outside 0..65535.");
            if (!seen.Add(n.Id)) problems.Add($"node id {n.Id} appears more than once.");
            if (n.Role is not ("primary" or "backup" or "manager" or "datanode"))
                problems.Add($"node {n.Id} has role \"{n.Role}\"; expected primary, backup, manager or datanode.");
            if (n.Port is < 1 or > 65535) problems.Add($"node {n.Id} has port {n.Port}; it must be 1..65535.");
            if (string.IsNullOrWhiteSpace(n.Host)) problems.Add($"node {n.Id} has no host.");
            if (n.Role == "datanode" && n.Group is null or < 0) problems.Add($"data node {n.Id} needs a group ≥ 0.");
            if (n.Role != "datanode" && n.Group is not null) problems.Add($"node {n.Id} is a {n.Role}; only data nodes have a group.");
        }
        int primaries = config.Nodes.Count(n => n.Role == "primary"), backups = config.Nodes.Count(n => n.Role == "backup");
        if (primaries > 0 && backups != config.Faults)
            problems.Add($"{primaries} primaries with faults = {config.Faults} need exactly {config.Faults} backups; the file has {backups}.");
        if (primaries + backups > 256) problems.Add($"n + f = {primaries + backups} exceeds 256, the most GF(2^8) can code.");
        var groups = config.Nodes.Where(n => n.Role == "datanode" && n.Group >= 0).GroupBy(n => n.Group!.Value).ToList();
        foreach (var g in groups)
            if (g.Count() != config.Faults + 1)
                problems.Add($"group {g.Key} has {g.Count()} data nodes; f = {config.Faults} needs {config.Faults + 1}.");
        if (groups.Count > 0 && groups.Max(g => g.Key) != groups.Count - 1) problems.Add("groups must be numbered 0..g-1 without gaps.");
        if (groups.Count > 0 && !config.Nodes.Any(n => n.Role == "manager")) problems.Add("data nodes need at least one manager.");

        ClusterKey? key = null;
        string? keyText = Environment.GetEnvironmentVariable(ClusterKey.EnvironmentVariable) is { Length: > 0 } env ? env : config.ClusterKey;
        if (keyText is null) problems.Add($"no cluster key: set \"clusterKey\" in the file or {ClusterKey.EnvironmentVariable}.");
        else
        {
            try
            {
                key = ClusterKey.Parse(keyText);
            }
            catch (ArgumentException e)
            {
                problems.Add(e.Message);
            }
        }
        if (problems.Count > 0)
            throw new ConfigException($"{source} is not a usable cluster configuration:\n  - {string.Join("\n  - ", problems)}");
        return new Cluster(config, key!);
    }

    private List<NodeConfig> Ordered(string role) => Config.Nodes.Where(n => n.Role == role).OrderBy(n => n.Id).ToList();

    private static int IndexOf(IReadOnlyList<NodeConfig> nodes, int id, string role)
    {
        for (int i = 0; i < nodes.Count; i++)
            if (nodes[i].Id == id) return i;
        throw new ConfigException($"Node {id} is not a {role} in the configuration.");
    }
}
