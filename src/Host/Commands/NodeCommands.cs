using System.CommandLine;
using System.Diagnostics;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>The long-running roles. Each prints one "ready ..." line on standard output once it serves.</summary>
internal static class NodeCommands
{
    public static Command Backup()
    {
        var config = CommonOptions.Config();
        var id = CommonOptions.Id();
        var verbose = CommonOptions.Verbose();
        var command = new Command("backup",
            "Run fused backup server j: it holds every primary's list in coded form (backup 0: XOR; others: " +
            "Reed–Solomon over GF(2^8)), applies their deltas in order, and serves recoveries. A restarted backup is " +
            "re-encoded from the primaries.")
        { config, id, verbose };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Verbose = result.GetValue(verbose);
            Cluster? cluster = CommonOptions.LoadCluster(result.GetRequiredValue(config));
            int nodeId = result.GetValue(id);
            if (cluster is null || !CommonOptions.CheckRole(cluster, nodeId, "backup")) return 2;
            using var node = new BackupNode(cluster, nodeId);
            node.Start();
            Ready($"backup {node.BackupIndex} (node {nodeId}) on {node.EndPoint}");
            await CommonOptions.WaitForShutdown(cancellation);
            return 0;
        });
        return command;
    }

    public static Command Primary()
    {
        var config = CommonOptions.Config();
        var id = CommonOptions.Id();
        var verbose = CommonOptions.Verbose();
        var command = new Command("primary",
            "Run a primary: the process that owns one bit list and serves it to clients. Each write completes when " +
            "every backup holds its delta. On start it rebuilds its list from the backups and the other primaries " +
            "if the cluster knew it before (a restart after a crash), else starts empty.")
        { config, id, verbose };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Verbose = result.GetValue(verbose);
            Cluster? cluster = CommonOptions.LoadCluster(result.GetRequiredValue(config));
            int nodeId = result.GetValue(id);
            if (cluster is null || !CommonOptions.CheckRole(cluster, nodeId, "primary")) return 2;
            var clock = Stopwatch.StartNew();
            using PrimaryNode node = await PrimaryNode.StartAsync(cluster, nodeId, cancellation: cancellation);
            RecoveryReport r = node.List.Recovery!;
            Ready($"primary {node.List.PrimaryIndex} (node {nodeId}) on {node.EndPoint} " +
                  $"{(r.Rebuilt ? "rebuilt" : "fresh")} length={r.Length} seq={r.Seq} recovery_us={r.Total.TotalMicroseconds:0} " +
                  $"cut_us={r.Cut.TotalMicroseconds:0} reconcile_us={r.Reconcile.TotalMicroseconds:0} bytes={r.BytesReceived} start_us={clock.Elapsed.TotalMicroseconds:0}");
            await CommonOptions.WaitForShutdown(cancellation);
            return 0;
        });
        return command;
    }

    public static void Ready(string what)
    {
        Console.Out.WriteLine($"ready {what}");
        Console.Out.Flush();
    }
}
