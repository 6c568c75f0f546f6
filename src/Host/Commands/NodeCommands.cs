using System.CommandLine;
using System.Diagnostics;
using BitFusion.Core.Kernels;
using BitFusion.Host.Metrics;
using BitFusion.Net.Config;
using BitFusion.Net.Diagnostics;
using BitFusion.Net.Fusion;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>The long-running roles. Each prints one "ready ..." line on standard output once it serves.</summary>
internal static class NodeCommands
{
    public static Command Backup() => Role("backup",
        "Run fused backup server j: it holds every primary's list in coded form (backup 0: XOR; others: " +
        "Reed–Solomon over GF(2^8)), applies their deltas in order, and serves recoveries. A restarted backup is " +
        "re-encoded from the primaries.",
        async (cluster, nodeId, cancellation) =>
        {
            using var node = new BackupNode(cluster, nodeId);
            node.Reencoded += took =>
            {
                Console.Out.WriteLine($"reencoded backup {node.BackupIndex} (node {nodeId}) reencode_us={took.TotalMicroseconds:0}");
                Console.Out.Flush();
            };
            FusionWarmup.Finish();
            node.Start();
            Ready($"backup {node.BackupIndex} (node {nodeId}) on {node.EndPoint}");
            await CommonOptions.WaitForShutdown(cancellation);
            return 0;
        });

    public static Command Primary() => Role("primary",
        "Run a primary: the process that owns one bit list and serves it to clients. Each write completes when " +
        "every backup holds its delta. On start it rebuilds its list from the backups and the other primaries " +
        "if the cluster knew it before (a restart after a crash), else starts empty.",
        async (cluster, nodeId, cancellation) =>
        {
            var clock = Stopwatch.StartNew();
            TimeSpan warmup = FusionWarmup.Finish();
            using PrimaryNode node = await PrimaryNode.StartAsync(cluster, nodeId, cancellation: cancellation);
            RecoveryReport r = node.List.Recovery!;
            if (r.Rebuilt) BitFusionMetrics.RecordRecovery("rebuild", r.Total);
            Ready($"primary {node.List.PrimaryIndex} (node {nodeId}) on {node.EndPoint} " +
                  $"{(r.Rebuilt ? "rebuilt" : "fresh")} length={r.Length} seq={r.Seq} recovery_us={r.Total.TotalMicroseconds:0} " +
                  $"connect_us={r.Phases.Connect.TotalMicroseconds:0} linked_us={r.Phases.Linked.TotalMicroseconds:0} reconcile_us={r.Phases.Reconcile.TotalMicroseconds:0} status_us={r.Phases.Status.TotalMicroseconds:0} " +
                  $"cut_us={r.Phases.Cut.TotalMicroseconds:0} solve_us={r.Phases.Solve.TotalMicroseconds:0} " +
                  $"attempts={r.Attempts} life={r.Life:x} bytes={r.BytesReceived} start_us={clock.Elapsed.TotalMicroseconds:0} " +
                  $"warmup_us={warmup.TotalMicroseconds:0}" +
                  (r.Suspected.Length > 0 ? $" suspected={string.Join(",", r.Suspected)}" : ""));
            await CommonOptions.WaitForShutdown(cancellation);
            return 0;
        });

    public static Command Manager() => Role("manager",
        "Run a replication manager: clients send it reads and writes for any group; it orders writes with Skeen's " +
        "atomic multicast to the group's f + 1 data nodes (several managers may write at once), relays reads to a " +
        "serving replica, and takes part in membership (the lowest live manager coordinates views and rejoins).",
        async (cluster, nodeId, cancellation) =>
        {
            if (cluster.Groups.Count == 0)
            {
                Console.Error.WriteLine("error: the configuration has no data nodes, so there is nothing for a manager to serve.");
                return 2;
            }
            var clock = Stopwatch.StartNew();
            using var node = new ManagerNode(cluster, nodeId);
            var excluded = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            node.Excluded += reason => excluded.TrySetResult(reason);
            node.Start();
            Task shutdown = CommonOptions.WaitForShutdown(cancellation);
            Task first = await Task.WhenAny(node.Serving, excluded.Task, shutdown);
            if (first != node.Serving) return first == excluded.Task ? 3 : 0;
            Ready($"manager (node {nodeId}) on {node.EndPoint} sender={node.SenderId} epoch={node.Epoch} " +
                  $"coordinator={(node.IsCoordinator ? 1 : 0)} start_us={clock.Elapsed.TotalMicroseconds:0}");
            return await Task.WhenAny(excluded.Task, shutdown) == excluded.Task ? 3 : 0;
        });

    public static Command DataNode() => Role("datanode",
        "Run a data node: one replica of its group's bit list. It applies the writes the managers multicast, in " +
        "Skeen's delivery order, and serves reads. A restarted data node rejoins its group with the state of a live " +
        "replica; its ready line reports the pause that cost the group (rejoin_us).",
        async (cluster, nodeId, cancellation) =>
        {
            var clock = Stopwatch.StartNew();
            using var node = new DataNode(cluster, nodeId);
            node.Start();
            Task shutdown = CommonOptions.WaitForShutdown(cancellation);
            if (await Task.WhenAny(node.Serving, shutdown) != node.Serving) return 0;
            DataNodeReady r = await node.Serving;
            if (r.Rejoined) BitFusionMetrics.RecordRecovery("rejoin", r.Rejoin);
            Ready($"datanode (node {nodeId}) group {node.Group} on {node.EndPoint} {(r.Rejoined ? "rejoined" : "fresh")} " +
                  $"length={r.Length} seq={r.Position} epoch={r.Epoch} rejoin_us={r.Rejoin.TotalMicroseconds:0} " +
                  $"bytes={r.TransferBytes} start_us={clock.Elapsed.TotalMicroseconds:0}");
            await shutdown;
            return 0;
        });

    /// <summary>
    /// A long-running role's command: the options every role takes, the configuration loaded and the node's role
    /// checked (exit 2 on a bad one), the metrics endpoint for the role's lifetime; then <paramref name="run"/>.
    /// </summary>
    private static Command Role(string name, string description, Func<Cluster, int, CancellationToken, Task<int>> run)
    {
        var config = CommonOptions.Config();
        var id = CommonOptions.Id();
        var verbose = CommonOptions.Verbose();
        var metricsPort = CommonOptions.MetricsPort();
        var command = new Command(name, description) { config, id, verbose, metricsPort };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Verbose = result.GetValue(verbose);
            Cluster? cluster = CommonOptions.LoadCluster(result.GetRequiredValue(config));
            int nodeId = result.GetValue(id);
            if (cluster is null || !CommonOptions.CheckRole(cluster, nodeId, name)) return 2;
            using MetricsEndpoint? metrics = MetricsEndpoint.Start(result.GetValue(metricsPort), cluster, nodeId);
            return await run(cluster, nodeId, cancellation);
        });
        return command;
    }

    public static void Ready(string what)
    {
        string metricsField = MetricsEndpoint.Current is { } metrics ? $" metrics_port={metrics.Port}" : "";
        Console.Out.WriteLine($"ready {what}{metricsField} {KernelTiers.Fields}");
        Console.Out.Flush();
    }
}
