using System.Net;
using System.Text.Json;
using BitFusion.Core.Abcast;
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

    /// <summary>The validated configuration; treat it as read-only.</summary>
    public ClusterConfig Config { get; }
    internal ClusterKey Key { get; }

    /// <summary>f: the crash faults tolerated (fusion: f backups; replication: f + 1 data nodes per group).</summary>
    public int Faults => Config.Faults;

    /// <summary>The fewest backups a fusion write must reach: the cluster file's minAckBackups, or f.</summary>
    public int MinAckBackups => Config.MinAckBackups ?? Config.Faults;

    /// <summary>The primaries by ascending id; a primary's position here is its primary index.</summary>
    public IReadOnlyList<NodeConfig> Primaries { get; }

    /// <summary>The fused backups by ascending id; a backup's position here is its backup index.</summary>
    public IReadOnlyList<NodeConfig> Backups { get; }

    /// <summary>The replication managers by ascending id.</summary>
    public IReadOnlyList<NodeConfig> Managers { get; }

    /// <summary>The replication data nodes by ascending id.</summary>
    public IReadOnlyList<NodeConfig> DataNodes { get; }

    /// <summary>Data nodes by group number (groups are numbered 0..g-1 without gaps).</summary>
    public IReadOnlyList<IReadOnlyList<NodeConfig>> Groups { get; }

    /// <summary>
    /// The node with id <paramref name="id"/>. Throws <see cref="ConfigException"/> when the configuration has none.
    /// </summary>
    public NodeConfig Node(int id) =>
        Config.Nodes.FirstOrDefault(n => n.Id == id) ?? throw new ConfigException($"No node with id {id} in the configuration.");

    /// <summary>
    /// Whether the configuration names this peer: a node role with its id, or any client (client ids are chosen by
    /// clients). Servers admit only peers it knows, so a process holding the key cannot pose as a node that is not
    /// in the file.
    /// </summary>
    internal bool Knows(PeerIdentity peer) =>
        peer.Role == NodeRole.Client || Config.Nodes.Any(n => n.Id == peer.NodeId && RoleOf(n) == peer.Role);

    /// <summary>The wire role of a configured node.</summary>
    internal static NodeRole RoleOf(NodeConfig node) => node.Role switch
    {
        "primary" => NodeRole.Primary,
        "backup" => NodeRole.Backup,
        "manager" => NodeRole.Manager,
        "datanode" => NodeRole.DataNode,
        _ => throw new ConfigException($"Node {node.Id} has role \"{node.Role}\"."),
    };

    /// <summary>How a dialer names the node it means to reach, so the handshake checks role and id.</summary>
    internal static PeerIdentity IdentityOf(NodeConfig node) => new(RoleOf(node), (ushort)node.Id);

    /// <summary>
    /// The primary index (0..n-1) of node <paramref name="id"/>. Throws <see cref="ConfigException"/> when it is not a
    /// primary.
    /// </summary>
    public int PrimaryIndex(int id) => IndexOf(Primaries, id, "primary");

    /// <summary>
    /// The backup index (0..f-1) of node <paramref name="id"/>. Throws <see cref="ConfigException"/> when it is not a
    /// backup.
    /// </summary>
    public int BackupIndex(int id) => IndexOf(Backups, id, "backup");

    /// <summary>
    /// Where to dial <paramref name="node"/>: an IP end point, or a DNS end point resolved when dialed.
    /// </summary>
    public static EndPoint EndPointOf(NodeConfig node) =>
        IPAddress.TryParse(node.Host, out IPAddress? ip) ? new IPEndPoint(ip, node.Port) : new DnsEndPoint(node.Host, node.Port);

    /// <summary>
    /// Where a node listens: its configured address, a host name resolved to its first address (IPv4 first) —
    /// never every interface, which would expose a node meant for one network to all of them.
    /// </summary>
    public static IPEndPoint BindEndPointOf(NodeConfig node)
    {
        if (IPAddress.TryParse(node.Host, out IPAddress? ip)) return new IPEndPoint(ip, node.Port);
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(node.Host);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new ConfigException($"Node {node.Id}: cannot resolve host \"{node.Host}\" to bind to: {e.Message}");
        }
        IPAddress? chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        return chosen is null
            ? throw new ConfigException($"Node {node.Id}: host \"{node.Host}\" resolves to no address to bind to.")
            : new IPEndPoint(chosen, node.Port);
    }

    /// <summary>
    /// Reads and validates a cluster file (<see cref="Parse"/>). Throws <see cref="ConfigException"/> when it cannot be
    /// read or is not a usable cluster.
    /// </summary>
    public static Cluster Load(string path)
    {
        return Parse(SecretFile.Read(path), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>
    /// Parses and validates a cluster file's JSON; <paramref name="source"/> names it in errors. Throws
    /// <see cref="ConfigException"/> with every problem found, in one line.
    /// </summary>
    /// <param name="baseDirectory">Where the file's relative paths (TLS certificates) start; the current folder if null.</param>
    public static Cluster Parse(string json, string source = "configuration", string? baseDirectory = null)
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
        return FromConfig(config, source, baseDirectory);
    }

    /// <summary>
    /// Validates <paramref name="config"/> (ids, roles, ports, limits, the key) and sorts its nodes into roles. Throws
    /// <see cref="ConfigException"/> with every problem found, in one line. Keep the config unchanged afterwards.
    /// </summary>
    /// <param name="baseDirectory">Where relative paths (TLS certificates) start; the current folder if null.</param>
    public static Cluster FromConfig(ClusterConfig config, string source = "configuration", string? baseDirectory = null)
    {
        var problems = new List<string>();
        if (config.Nodes is null) throw new ConfigException($"{source}: \"nodes\" is null; it must list the cluster's nodes.");
        int nullAt = config.Nodes.IndexOf(null!);
        if (nullAt >= 0) throw new ConfigException($"{source}: node #{nullAt + 1} in \"nodes\" is null.");
        if (config.Faults is < 1 or > 16) problems.Add($"faults = {config.Faults}; it must be 1..16.");
        if (config.MaxFrameBytes is < 4096 or > 1 << 30) problems.Add($"maxFrameBytes = {config.MaxFrameBytes}; it must be 4096..2^30.");
        if (config.MaxListBits is < 1 or > Core.Bits.Delta.MaxBits)
            problems.Add($"maxListBits = {config.MaxListBits}; it must be 1..{Core.Bits.Delta.MaxBits} (2 GiB of words).");
        if (config.MaxSendQueueBytes is < 4096 or > 1L << 40) problems.Add($"maxSendQueueBytes = {config.MaxSendQueueBytes}; it must be 4096..2^40 (or absent).");
        if (config.MaxHandshakes is < 1 or > 65536) problems.Add($"maxHandshakes = {config.MaxHandshakes}; it must be 1..65536.");
        if (config.Window is < 1 or > 1 << 20) problems.Add($"window = {config.Window}; it must be 1..1048576.");
        if (config.HeartbeatMs is < 10 or > 60_000) problems.Add($"heartbeatMs = {config.HeartbeatMs}; it must be 10..60000.");
        if (config.SuspectAfterMs < 2 * config.HeartbeatMs || config.SuspectAfterMs > 600_000)
            problems.Add($"suspectAfterMs = {config.SuspectAfterMs}; it must be at least 2 × heartbeatMs ({2 * config.HeartbeatMs}) and at most 600000, " +
                         "or an idle but healthy peer is suspected between two heartbeats.");
        if (config.MinAckBackups is { } minAck && (minAck < 1 || minAck > config.Faults))
            problems.Add($"minAckBackups = {minAck}; it must be 1..faults ({config.Faults}), or absent for faults.");
        var seen = new HashSet<int>();
        foreach (NodeConfig n in config.Nodes)
        {
            if (n.Id is < 0 or > ushort.MaxValue) problems.Add($"node id {n.Id} is outside 0..65535.");
            if (!seen.Add(n.Id)) problems.Add($"node id {n.Id} appears more than once.");
            if (n.Role is not ("primary" or "backup" or "manager" or "datanode"))
                problems.Add($"node {n.Id} has role \"{n.Role}\"; expected primary, backup, manager or datanode.");
            if (n.Port is < 1 or > 65535) problems.Add($"node {n.Id} has port {n.Port}; it must be 1..65535.");
            if (string.IsNullOrWhiteSpace(n.Host)) problems.Add($"node {n.Id} has no host.");
            if (n.Role == "datanode" && n.Group is null or < 0 or >= GroupSet.Capacity)
                problems.Add($"data node {n.Id} has group {n.Group?.ToString() ?? "(none)"}; it must be 0..{GroupSet.Capacity - 1}.");
            if (n.Role != "datanode" && n.Group is not null) problems.Add($"node {n.Id} is a {n.Role}; only data nodes have a group.");
        }
        foreach (var shared in config.Nodes.GroupBy(n => (Host: n.Host?.Trim().ToLowerInvariant(), n.Port)).Where(g => g.Count() > 1))
            problems.Add($"nodes {string.Join(", ", shared.Select(n => n.Id))} share the address {shared.Key.Host}:{shared.Key.Port}.");
        int primaries = config.Nodes.Count(n => n.Role == "primary"), backups = config.Nodes.Count(n => n.Role == "backup");
        if (primaries > 0 && backups != config.Faults)
            problems.Add($"{primaries} primaries with faults = {config.Faults} need exactly {config.Faults} backups; the file has {backups}.");
        if (primaries + backups > 256) problems.Add($"n + f = {primaries + backups} exceeds 256, the most GF(2^8) can code.");
        var groups = config.Nodes.Where(n => n.Role == "datanode" && n.Group is >= 0 and < GroupSet.Capacity).GroupBy(n => n.Group!.Value).ToList();
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
            catch (FormatException e)
            {
                problems.Add(e.Message);
            }
        }
        TlsCredentials? tls = null;
        if (config.Tls is not null)
        {
            bool IsNode(PeerIdentity p) => config.Nodes.Any(n => n.Id == p.NodeId && n.Role == CertificateIdentity.RoleName(p.Role));
            tls = TlsSection.Resolve(config.Tls, baseDirectory ?? Directory.GetCurrentDirectory(), IsNode, problems);
            if (tls is not null)
                foreach (NodeConfig n in config.Nodes)
                    if (n.Role is "primary" or "backup" or "manager" or "datanode" && !tls.Identities.Contains(IdentityOf(n)))
                        problems.Add($"TLS is on but tls.certificates has no certificate for {n.Role} {n.Id}.");
        }
        if (problems.Count > 0)
            throw new ConfigException($"{source} is not a usable cluster configuration: {string.Join(" ", problems)}");
        key!.Tls = tls;
        return new Cluster(config, key);
    }

    private List<NodeConfig> Ordered(string role) => Config.Nodes.Where(n => n.Role == role).OrderBy(n => n.Id).ToList();

    private static int IndexOf(IReadOnlyList<NodeConfig> nodes, int id, string role)
    {
        for (int i = 0; i < nodes.Count; i++)
            if (nodes[i].Id == id) return i;
        throw new ConfigException($"Node {id} is not a {role} in the configuration.");
    }
}
