using System.Net;
using System.Security.Cryptography;

namespace BitFusion.Harness.Namespaces;

/// <summary>
/// Simulated hosts on one LAN, none of it visible outside: a hub namespace holding a bridge, and per host a
/// namespace joined to the bridge by a veth pair, with an address in a private 10.x.y.0/24 that exists only inside
/// these namespaces. Both ends of every veth are created directly in the new namespaces, so the caller's own
/// network is never touched. Names carry a random suffix; disposing (or the harness's exit) deletes them all.
/// </summary>
internal sealed class IsolatedNetwork : IDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly IDisposable _cleanup;

    private IsolatedNetwork(string suffix)
    {
        Suffix = suffix;
        Hub = $"bf-{suffix}-hub";
        _cleanup = ExitCleanup.Register(DeleteAll);
    }

    public string Suffix { get; }

    public string Hub { get; }

    public IReadOnlyList<NetworkHost> Hosts { get; private set; } = [];

    /// <summary>Creates the hub and <paramref name="hosts"/> hosts; throws with a clear reason if namespaces are unavailable.</summary>
    public static IsolatedNetwork Create(int hosts)
    {
        if (hosts is < 1 or > 250) throw new ArgumentOutOfRangeException(nameof(hosts), hosts, "1..250 hosts fit in one /24.");
        if (IpCommand.Unavailable() is { } reason) throw new PlatformNotSupportedException($"Cannot build an isolated network: {reason}.");
        var network = new IsolatedNetwork(Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant());
        try
        {
            network.Build(hosts);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private void Build(int count)
    {
        byte b = (byte)RandomNumberGenerator.GetInt32(100, 250), c = (byte)RandomNumberGenerator.GetInt32(0, 256);
        AddNamespace(Hub);
        IpCommand.Run("-n", Hub, "link", "add", "br0", "type", "bridge");
        IpCommand.Run("-n", Hub, "link", "set", "br0", "up");
        var hosts = new List<NetworkHost>(count);
        for (int k = 1; k <= count; k++)
        {
            string ns = $"bf-{Suffix}-{k}";
            var address = new IPAddress([10, b, c, (byte)k]);
            AddNamespace(ns);
            IpCommand.Run("-n", Hub, "link", "add", $"v{k}", "type", "veth", "peer", "name", "eth0", "netns", ns);
            IpCommand.Run("-n", Hub, "link", "set", $"v{k}", "master", "br0");
            IpCommand.Run("-n", Hub, "link", "set", $"v{k}", "up");
            IpCommand.Run("-n", ns, "addr", "add", $"{address}/24", "dev", "eth0");
            IpCommand.Run("-n", ns, "link", "set", "eth0", "up");
            hosts.Add(new NetworkHost(ns, address));
        }
        Hosts = hosts;
    }

    private void AddNamespace(string name)
    {
        IpCommand.Run("netns", "add", name);
        _namespaces.Add(name);
        IpCommand.Run("-n", name, "link", "set", "lo", "up");
    }

    private void DeleteAll()
    {
        var failures = new List<string>();
        for (int i = _namespaces.Count - 1; i >= 0; i--)
        {
            try
            {
                IpCommand.Run("netns", "delete", _namespaces[i]);
                _namespaces.RemoveAt(i);
            }
            catch (InvalidOperationException e)
            {
                failures.Add(e.Message);
            }
        }
        if (failures.Count > 0) throw new InvalidOperationException($"Could not delete every namespace:\n{string.Join('\n', failures)}");
    }

    public void Dispose()
    {
        _cleanup.Dispose();
        DeleteAll();
    }
}
