using BitFusion.Net.Config;

namespace FusedListSample;

/// <summary>
/// Starts a cluster of two primaries and one fused backup (f = 1: the backup holds the XOR of both lists), kills
/// primary 0 with SIGKILL once its appends were acknowledged, restarts it, and checks that the list it rebuilt from
/// the backup and primary 1 is exactly the acknowledged one.
/// </summary>
internal static class Coordinator
{
    public static async Task<int> RunAsync(int bits)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("bitfusion-sample-");
        try
        {
            string path = Path.Combine(dir.FullName, "cluster.json");
            SecretFile.Write(path, ClusterLayout.ToJson(ClusterLayout.Build(primaries: 2, faults: 1, groups: 0, managers: 0, "127.0.0.1", basePort: 0)));
            Cluster cluster = Cluster.Load(path);
            int primary0 = cluster.Primaries[0].Id, primary1 = cluster.Primaries[1].Id;

            await using var children = new Children();
            await children.Start("backup", "backup", path, cluster.Backups[0].Id).ExpectAsync("ready");
            Child first = children.Start("primary 0", "primary", path, primary0, bits, 1);
            Child second = children.Start("primary 1", "primary", path, primary1, bits / 2, 2);
            string acked = await first.ExpectAsync("acked");
            await second.ExpectAsync("acked");

            Console.WriteLine($"killing primary 0 (SIGKILL) after it was acknowledged: {acked}");
            await first.KillAsync();
            string rebuilt = await children.Start("primary 0 again", "primary", path, primary0, 0, 0).ExpectAsync("list");

            // "acked N digest" and "list N digest": the same length and words.
            string want = acked["acked ".Length..], got = rebuilt["list ".Length..];
            if (want != got)
            {
                Console.WriteLine($"MISMATCH: acknowledged {want}, recovered {got}");
                return 1;
            }
            Console.WriteLine($"recovered list equals the acknowledged one: {got.Split(' ')[0]} bits");
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
