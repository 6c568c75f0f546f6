using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using BitFusion.Core.Abcast;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Config;

/// <summary>Builds cluster files: ids 1.. in role order (primaries, backups, managers, data nodes), one port each.</summary>
public static class ClusterLayout
{
    /// <summary>
    /// A cluster of <paramref name="primaries"/> primaries with <paramref name="faults"/> backups, and <paramref
    /// name="groups"/> replication groups of f + 1 data nodes behind <paramref name="managers"/> managers, on <paramref
    /// name="host"/>: ports from <paramref name="basePort"/> up, or free ports below the ephemeral range when it is 0.
    /// A fresh random key unless <paramref name="key"/> is given. Throws <see cref="ArgumentException"/> for counts the
    /// code or the port range cannot hold.
    /// </summary>
    public static ClusterConfig Build(int primaries, int faults, int groups, int managers, string host, int basePort, string? key = null)
    {
        if (primaries < 0 || groups < 0 || managers < 0) throw new ArgumentException("Counts cannot be negative.");
        if (primaries == 0 && groups == 0) throw new ArgumentException("A cluster needs primaries or groups.");
        // Checked before any port is probed: the file's own validation would refuse these, but only after the work.
        if (faults is < 1 or > 16) throw new ArgumentException($"faults = {faults}; it must be 1..16.");
        if (primaries + faults > 256) throw new ArgumentException($"n + f = {primaries + faults} exceeds 256, the most GF(2^8) can code.");
        if (groups > GroupSet.Capacity) throw new ArgumentException($"{groups} groups; at most {GroupSet.Capacity}.");
        if (managers > 64) throw new ArgumentException($"{managers} managers; at most 64.");
        if (basePort != 0 && (basePort < 1 || basePort + primaries + faults + managers + groups * (faults + 1) > 65536))
            throw new ArgumentException($"--base-port {basePort} leaves too few ports below 65536 for the cluster.");
        var config = new ClusterConfig { Faults = faults, ClusterKey = key ?? ClusterKey.Generate().ToHex() };
        int id = 1;
        int port = basePort;
        // A probed port is released at once, so the OS may offer it again for the next node.
        var taken = new HashSet<int>();
        int NextPort()
        {
            if (basePort != 0) return port++;
            int free;
            do free = FreePort(host);
            while (!taken.Add(free));
            return free;
        }
        for (int i = 0; i < primaries; i++) config.Nodes.Add(new NodeConfig { Id = id++, Role = "primary", Host = host, Port = NextPort() });
        if (primaries > 0)
            for (int j = 0; j < faults; j++) config.Nodes.Add(new NodeConfig { Id = id++, Role = "backup", Host = host, Port = NextPort() });
        if (groups > 0)
        {
            for (int m = 0; m < Math.Max(1, managers); m++) config.Nodes.Add(new NodeConfig { Id = id++, Role = "manager", Host = host, Port = NextPort() });
            for (int g = 0; g < groups; g++)
                for (int r = 0; r <= faults; r++)
                    config.Nodes.Add(new NodeConfig { Id = id++, Role = "datanode", Host = host, Port = NextPort(), Group = g });
        }
        return config;
    }

    /// <summary>
    /// The cluster file's JSON for <paramref name="config"/> (it holds the cluster key: write it with
    /// <see cref="SecretFile.Write"/>).
    /// </summary>
    public static string ToJson(ClusterConfig config) => JsonSerializer.Serialize(config, ClusterConfigJson.Default.ClusterConfig);

    /// <summary>
    /// A port that is free right now and that the OS will not hand out on its own: it lies below the ephemeral
    /// range, which every outgoing connection and every bind to port 0 draws from. A port from that range (bind to
    /// 0, read it, release it) can be taken by any connection's local end before its node binds it, or while a
    /// killed node is restarting, and the node then fails with "address already in use".
    /// </summary>
    public static int FreePort(string host)
    {
        IPAddress address = IPAddress.TryParse(host, out IPAddress? ip) ? ip : IPAddress.Loopback;
        int below = EphemeralLow();
        if (below - ReservedBelow >= 1024)
        {
            for (int attempt = 0; attempt < 64; attempt++)
            {
                int port = Random.Shared.Next(ReservedBelow, below);
                if (IsFree(address, port)) return port;
            }
        }
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private const int ReservedBelow = 10000;

    private static bool IsFree(IPAddress address, int port)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the OS's ephemeral range (Linux: ip_local_port_range; elsewhere the IANA 49152 would be too high, so 32768).</summary>
    private static int EphemeralLow()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        string text;
        try
        {
            text = File.ReadAllText(range);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 32768;
        }
        string[] fields = text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 1 && int.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out int low) ? low : 32768;
    }
}
