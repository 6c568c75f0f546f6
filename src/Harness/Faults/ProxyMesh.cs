using System.Globalization;
using System.Text.Json.Nodes;
using BitFusion.Net.Config;

namespace BitFusion.Harness.Faults;

/// <summary>
/// Routes every node-to-node connection of a cluster through its own <see cref="FaultProxy"/>: one proxy per
/// ordered pair (dialer, listener). Each node gets its own cluster file, identical to the shared one except that
/// every other node's port is the proxy of that link, so it still listens on its own port while everything it
/// dials passes a proxy the test controls. Clients and probes use the shared file and reach nodes directly.
/// </summary>
internal sealed class ProxyMesh : IAsyncDisposable
{
    private readonly Dictionary<(int From, int To), FaultProxy> _links = [];
    private readonly Dictionary<int, string> _roles;

    public ProxyMesh(IReadOnlyList<NodeConfig> members)
    {
        _roles = members.ToDictionary(n => n.Id, n => $"{n.Role} {n.Id}");
        foreach (NodeConfig from in members)
            foreach (NodeConfig to in members)
                if (from.Id != to.Id)
                    _links[(from.Id, to.Id)] = new FaultProxy(Cluster.EndPointOf(to), $"{_roles[from.Id]} → {_roles[to.Id]}");
        foreach (FaultProxy proxy in _links.Values) proxy.Start();
    }

    public IEnumerable<FaultProxy> Links => _links.Values;

    /// <summary>The proxy that <paramref name="from"/>'s connections to <paramref name="to"/> pass.</summary>
    public FaultProxy Link(int from, int to) => _links[(from, to)];

    /// <summary>Every link with <paramref name="node"/> at either end.</summary>
    public IEnumerable<FaultProxy> Touching(int node) => _links.Where(l => l.Key.From == node || l.Key.To == node).Select(l => l.Value);

    /// <summary>Drops every live connection of <paramref name="node"/> to and from its peers; they may reconnect at once.</summary>
    public void Drop(int node)
    {
        foreach (FaultProxy link in Touching(node)) link.Drop();
    }

    /// <summary>Cuts every link between <paramref name="side"/> and the rest, both ways, until <see cref="Heal"/>.</summary>
    public void Partition(IReadOnlyCollection<int> side)
    {
        foreach (((int from, int to), FaultProxy link) in _links)
            if (side.Contains(from) != side.Contains(to)) link.Cut();
    }

    /// <summary>Lifts every fault on every link.</summary>
    public void Heal()
    {
        foreach (FaultProxy link in _links.Values) link.Heal();
    }

    /// <summary>The cluster file <paramref name="node"/> starts from: <paramref name="json"/> with every peer's port replaced by its link's proxy.</summary>
    public string ConfigFor(string json, int node)
    {
        JsonNode root = JsonNode.Parse(json) ?? throw new ArgumentException("Empty cluster JSON.", nameof(json));
        foreach (JsonNode? entry in root["nodes"]!.AsArray())
        {
            int id = entry!["id"]!.GetValue<int>();
            if (id != node && _links.TryGetValue((node, id), out FaultProxy? link)) entry["port"] = link.Port;
        }
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    public override string ToString() =>
        string.Join("; ", _links.Values.Where(l => l.Accepted > 0).Select(l =>
            string.Create(CultureInfo.InvariantCulture, $"{l.Name}: {l.Accepted} accepted, {l.Dropped} dropped, {l.Live} live")));

    public async ValueTask DisposeAsync()
    {
        foreach (FaultProxy link in _links.Values) await link.DisposeAsync().ConfigureAwait(false);
    }
}
