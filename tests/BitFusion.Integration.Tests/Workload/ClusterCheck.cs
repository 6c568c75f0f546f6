using BitFusion.Core.Fusion;
using BitFusion.Harness;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// The end-of-test proof that nothing acknowledged was lost, with the cluster quiet: every list reads back equal to
/// its model, and every backup holds every primary at exactly that length and seq and holds exactly the fused words the code makes of the models (so each primary streams to all
/// f backups again after whatever happened); then every primary is killed and rebuilt (f at a time, so each rebuild needs every backup) from the
/// backups as the workload left them; then all f backups are killed together and re-encoded from the primaries,
/// and every primary is rebuilt again, from the re-encoded backups.
/// </summary>
internal static class ClusterCheck
{
    public static async Task VerifyAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers, Random rng, Action<string> log)
    {
        foreach (ListWorker w in workers) await w.CheckAsync().ConfigureAwait(false);
        log("quiet cluster: every list equals its model");
        await BackupsAgreeAsync(cluster, workers).ConfigureAwait(false);
        log("every backup holds every primary at its model's length and seq, and exactly the fused words of the models' lists");
        await RebuildPrimariesAsync(cluster, workers, rng, log, "from the backups the workload left").ConfigureAwait(false);
        await cluster.KillAsync(cluster.Backups).ConfigureAwait(false);
        await cluster.StartAsync(cluster.Backups).ConfigureAwait(false);
        log($"killed all {cluster.Backups.Count} backups at once; each was re-encoded from the primaries");
        await RebuildPrimariesAsync(cluster, workers, rng, log, "from re-encoded backups").ConfigureAwait(false);
        await BackupsAgreeAsync(cluster, workers).ConfigureAwait(false);
        log("after all that, every backup still holds every primary at its model's length and seq, and the fused words of the lists");
    }

    /// <summary>
    /// Every backup is complete, sees each primary serving at its model's seq and length, and holds exactly the
    /// fused words the code makes of the models' lists. A primary that has just
    /// come back tells the backups it serves on its own stream, so this waits a little for them to hear it.
    /// </summary>
    public static async Task BackupsAgreeAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers)
    {
        string? disagreement = null;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            disagreement = await DisagreementAsync(cluster, workers).ConfigureAwait(false);
            if (disagreement is null) return;
            await Task.Delay(100).ConfigureAwait(false);
        }
        throw new WorkloadException(disagreement!);
    }

    private static async Task<string?> DisagreementAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers)
    {
        if (await SeqDisagreementAsync(cluster, workers).ConfigureAwait(false) is { } seqs) return seqs;
        var code = new FusionCode(cluster.Primaries.Count, cluster.Faults);
        var states = new PrimaryState[cluster.Primaries.Count];
        foreach (ListWorker w in workers) states[IndexOf(cluster, w.Primary)] = new PrimaryState(w.Model.Pack(), w.Model.Count, w.Model.Seq);
        for (int j = 0; j < cluster.Backups.Count; j++)
        {
            using FusedBackup expected = code.EncodeBackup(j, states);
            (ulong[] words, long length) = await BackupProbe.FusedAsync(cluster.EndPointOf(cluster.Backups[j].Id), cluster.Key, (ushort)cluster.Backups[j].Id).ConfigureAwait(false);
            if (length != expected.FusedLength) return $"{cluster.Backups[j]} holds {length} fused bits; the primaries' lists make {expected.FusedLength}.";
            int differs = expected.Words.CommonPrefixLength(words);
            if (differs < words.Length || words.Length != expected.Words.Length)
                return $"{cluster.Backups[j]}'s fused words differ from the encoding of the primaries' lists at word {differs} of {expected.Words.Length}.";
        }
        return null;
    }

    /// <summary>Every backup complete, and each primary serving at its model's seq and length there.</summary>
    private static async Task<string?> SeqDisagreementAsync(FusionCluster cluster, IReadOnlyList<ListWorker> workers)
    {
        foreach (NodeProcess backup in cluster.Backups)
        {
            BackupReport report = await BackupProbe.StatusAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id, (ushort)cluster.Primaries[0].Id).ConfigureAwait(false);
            if (!report.Complete) return $"{backup} does not hold every primary though the cluster is quiet.";
            foreach (ListWorker w in workers)
            {
                BackupReport.PrimaryView view = report.Primaries[IndexOf(cluster, w.Primary)];
                if (!view.Serving || view.Seq != w.Model.Seq || view.Length != w.Model.Count)
                    return $"{backup} sees {w.Primary} as {view}, but its list is {w.Model.Count} bits at seq {w.Model.Seq}: " +
                           "acknowledged writes are missing from that backup.";
            }
        }
        return null;
    }

    private static int IndexOf(FusionCluster cluster, NodeProcess primary)
    {
        for (int p = 0; p < cluster.Primaries.Count; p++)
            if (cluster.Primaries[p] == primary) return p;
        throw new ArgumentException($"{primary} is not a primary of the cluster.", nameof(primary));
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
