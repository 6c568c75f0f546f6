using BitFusion.Harness;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// The end-of-test proof that nothing acknowledged was lost, with the cluster quiet: every list reads back equal to
/// its model; then every primary is killed and rebuilt (f at a time, so each rebuild needs every backup) from the
/// backups as the workload left them; then all f backups are killed together and re-encoded from the primaries,
/// and every primary is rebuilt again, from the re-encoded backups.
/// </summary>
internal static class ClusterCheck
{
    public static async Task VerifyAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers, Random rng, Action<string> log)
    {
        foreach (ListWorker w in workers) await w.CheckAsync().ConfigureAwait(false);
        log("quiet cluster: every list equals its model");
        await RebuildPrimariesAsync(cluster, workers, rng, log, "from the backups the workload left").ConfigureAwait(false);
        await cluster.KillAsync(cluster.Backups).ConfigureAwait(false);
        await cluster.StartAsync(cluster.Backups).ConfigureAwait(false);
        log($"killed all {cluster.Backups.Count} backups at once; each was re-encoded from the primaries");
        await RebuildPrimariesAsync(cluster, workers, rng, log, "from re-encoded backups").ConfigureAwait(false);
    }

    /// <summary>Kills the primaries f at a time, restarts them, and checks each rebuilt list (ready line and contents).</summary>
    public static async Task RebuildPrimariesAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers, Random rng, Action<string> log, string what)
    {
        ListWorker[] order = workers.OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < order.Length; i += cluster.Faults)
        {
            ListWorker[] group = order.Skip(i).Take(cluster.Faults).ToArray();
            await cluster.KillAsync(group.Select(w => w.Primary)).ConfigureAwait(false);
            ReadyLine[] ready = await cluster.StartAsync(group.Select(w => w.Primary)).ConfigureAwait(false);
            for (int k = 0; k < group.Length; k++)
            {
                ListWorker w = group[k];
                if (!ready[k].Has("rebuilt") || ready[k].Int64("length") != w.Model.Count || ready[k].Int64("seq") != w.Model.Seq)
                    throw new WorkloadException($"{w.Primary} came back as \"{ready[k].Text}\"; expected rebuilt length={w.Model.Count} seq={w.Model.Seq}.");
                await w.CheckAsync().ConfigureAwait(false);
            }
            log($"rebuilt {string.Join(", ", group.Select(w => $"{w.Primary} ({ready[Array.IndexOf(group, w)].Fields["recovery_us"]} µs)"))} {what}: equal to the model");
        }
    }
}
