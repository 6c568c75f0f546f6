using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>Writes a cluster configuration where every process will read it, after checking it the way the processes will.</summary>
public static class ClusterFile
{
    public static Cluster Write(ClusterConfig config, string path)
    {
        Cluster cluster = Cluster.FromConfig(config, path);
        SecretFile.Write(path, ClusterLayout.ToJson(config));
        return cluster;
    }
}
