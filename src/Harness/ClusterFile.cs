using BitFusion.Harness.Faults;
using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>Writes a cluster configuration where every process will read it, after checking it the way the processes will.</summary>
internal static class ClusterFile
{
    public static Cluster Write(ClusterConfig config, string path)
    {
        Cluster cluster = Cluster.FromConfig(config, path);
        SecretFile.Write(path, ClusterLayout.ToJson(config));
        return cluster;
    }

    /// <summary>Writes <paramref name="node"/>'s own copy of the file at <paramref name="shared"/>, its peers reached through <paramref name="proxies"/>; returns its path.</summary>
    public static string WriteRouted(ProxyMesh proxies, string shared, int node)
    {
        string path = Path.Combine(Path.GetDirectoryName(shared)!, $"{Path.GetFileNameWithoutExtension(shared)}-{node}.json");
        File.WriteAllText(path, proxies.ConfigFor(File.ReadAllText(shared), node));
        return path;
    }
}
