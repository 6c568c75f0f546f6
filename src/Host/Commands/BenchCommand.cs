using System.CommandLine;
using BitFusion.Net.Config;
using BitFusion.Host.Bench;
using BitFusion.Host.Measure;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion bench`: end-to-end latency, throughput, recovery time and wire bytes of fusion and of active
/// replication, on loopback in this process.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "End-to-end benchmarks on loopback: fusion's update latency, throughput and recovery time, and active replication's.");
        command.Subcommands.Add(Latency());
        command.Subcommands.Add(Recovery());
        command.Subcommands.Add(Replication());
        command.Subcommands.Add(BenchTlsCommand.Create());
        return command;
    }

    private static Command Replication()
    {
        var ops = new Option<int>("--ops") { Description = "Appends per client per configuration.", DefaultValueFactory = _ => 10_000 };
        var groups = new Option<int[]>("--groups", "-g") { Description = "Numbers of groups.", DefaultValueFactory = _ => [1, 3, 5], AllowMultipleArgumentsPerToken = true };
        var faults = new Option<int[]>("--faults", "-f") { Description = "Values of f (f + 1 data nodes per group).", DefaultValueFactory = _ => [1, 2, 3], AllowMultipleArgumentsPerToken = true };
        var managers = new Option<int[]>("--managers", "-m") { Description = "Numbers of managers; each group gets one client per manager.", DefaultValueFactory = _ => [1, 2], AllowMultipleArgumentsPerToken = true };
        var windows = new Option<int[]>("--window", "-w") { Description = "Appends in flight per client (1 = one at a time).", DefaultValueFactory = _ => [1, 64], AllowMultipleArgumentsPerToken = true };
        var sizes = new Option<long[]>("--sizes", "-s") { Description = "List lengths in bits for the rejoin table.", DefaultValueFactory = _ => [10_000, 1_000_000, 100_000_000], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats", "-r") { Description = "Rejoins per list length (the median is reported).", DefaultValueFactory = _ => 5 };
        var latencyOnly = new Option<bool>("--latency-only") { Description = "Skip the rejoin and detection tables." };
        var pauses = new Option<int>("--pauses") { Description = "SIGSTOPs of a data node for the detection table (0 skips it).", DefaultValueFactory = _ => 3 };
        var suspectAfter = new Option<int>("--suspect-after-ms") { Description = "The failure detector's bound for the detection table.", DefaultValueFactory = _ => 1500 };
        var command = new Command("replication",
            "Active replication: update latency p50/p99/p99.9 and throughput against groups, f, managers and window, beside the " +
            "loopback TCP round trip measured in the same run; then the rejoin pause against list length; then the detection " +
            "time of a paused data node and the write stall it causes (real processes).")
        { ops, groups, faults, managers, windows, sizes, repeats, latencyOnly, pauses, suspectAfter };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Name = "bench";
            Log.Quiet = true;
            int n = result.GetValue(ops);
            int r = result.GetValue(repeats);
            if (n < 100 || r < 1 || result.GetValue(sizes)!.Any(s => s < 1) || result.GetValue(pauses) < 0 || result.GetValue(suspectAfter) < 50)
            {
                Console.Error.WriteLine("error: --ops must be at least 100, --repeats at least 1, every size at least 1, --pauses at least 0 " +
                                        "and --suspect-after-ms at least 50.");
                return 2;
            }
            Console.WriteLine($"kernels: XOR {Core.Kernels.XorKernel.Best.Tier}, GF(2^8) {Core.Kernels.GfKernel.Best.Tier}");
            LatencyStats rtt = await LoopbackRtt.MeasureAsync(20_000, cancellation);
            Console.WriteLine($"loopback TCP round trip: p50 {rtt.Median:0.0} µs, p99 {rtt.P99:0.0} µs, p99.9 {rtt.P999:0.0} µs");
            Console.WriteLine();
            Console.WriteLine("| groups | f | managers | window | p50 µs | p99 µs | p99.9 µs | max µs | p50 / RTT | manager p50 µs | ops/s | wire B/update | frames/update | messages/update | handled/update | read batches/update | alloc B/update | CPU µs/update |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (int g in result.GetValue(groups)!)
                foreach (int f in result.GetValue(faults)!)
                    foreach (int m in result.GetValue(managers)!)
                        foreach (int w in result.GetValue(windows)!)
                        {
                            ReplicationLatencyBench.Result x = await ReplicationLatencyBench.RunAsync(g, f, m, w, n, cancellation);
                            Console.WriteLine($"| {g} | {f} | {m} | {w} | {x.Latency.Median:0.0} | {x.Latency.P99:0.0} | {x.Latency.P999:0.0} | {x.Latency.Max:0} | " +
                                              $"{x.Latency.Median / rtt.Median:0.00} | {x.ManagerSide.Median:0.0} | {x.OpsPerSecond:0} | {x.WireBytesPerUpdate:0} | " +
                                              $"{x.FramesPerUpdate:0.00} | {x.MessagesPerUpdate:0.00} | {x.HandledPerUpdate:0.00} | {x.BatchesPerUpdate:0.00} | {x.AllocatedBytesPerUpdate:0.0} | {x.CpuMicrosPerUpdate:0.0} |");
                        }
            if (result.GetValue(latencyOnly)) return 0;
            Console.WriteLine();
            Console.WriteLine("| f | bits | rejoin ms (median, data node) | rejoin ms (median, manager) | state bytes |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (int f in result.GetValue(faults)!)
                foreach (long bits in result.GetValue(sizes)!)
                {
                    RejoinBench.Result x = await RejoinBench.RunAsync(f, bits, r, cancellation);
                    Console.WriteLine($"| {f} | {bits:N0} | {x.RejoinMicros / 1000:0.000} | {x.ManagerMicros / 1000:0.000} | {x.Bytes:N0} |");
                }
            if (result.GetValue(pauses) == 0) return 0;
            Console.WriteLine();
            Console.WriteLine("| suspectAfterMs | heartbeatMs | pauses | detection ms (p50) | detection ms (max) | writes stalled | stall p50 ms | stall p99 ms | p50 ms unpaused |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            DetectionBench.Result d = await DetectionBench.RunAsync(result.GetValue(pauses), result.GetValue(suspectAfter), 16, cancellation);
            Console.WriteLine($"| {d.SuspectAfterMs} | {d.HeartbeatMs} | {d.Detection.Count} | {d.Detection.Median / 1000:0.0} | {d.Detection.Max / 1000:0.0} | " +
                              $"{d.Stalled.Count} | {d.Stalled.Median / 1000:0.0} | {d.Stalled.P99 / 1000:0.0} | {d.Normal.Median / 1000:0.000} |");
            return 0;
        });
        return command;
    }

    private static Command Latency()
    {
        var ops = new Option<int>("--ops") { Description = "Appends per primary per configuration.", DefaultValueFactory = _ => 20_000 };
        var faults = new Option<int[]>("--faults", "-f") { Description = "Values of f.", DefaultValueFactory = _ => [1, 2, 3], AllowMultipleArgumentsPerToken = true };
        var primaries = new Option<int[]>("--primaries", "-n") { Description = "Numbers of primaries.", DefaultValueFactory = _ => [1, 5], AllowMultipleArgumentsPerToken = true };
        var windows = new Option<int[]>("--window", "-w") { Description = "Operations in flight per client (1 = one at a time).", DefaultValueFactory = _ => [1, 64], AllowMultipleArgumentsPerToken = true };
        var noDetection = new Option<bool>("--no-detection") { Description = "Skip the failure-detection table (so the process's CPU time covers the latency table alone)." };
        var command = new Command("latency", "Update latency p50/p99/p99.9 and throughput, beside the loopback TCP round trip measured in the same run.")
        { ops, faults, primaries, windows, noDetection };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Name = "bench";
            Log.Quiet = true;
            int n = result.GetValue(ops);
            if (n < 100)
            {
                Console.Error.WriteLine("error: --ops must be at least 100.");
                return 2;
            }
            Console.WriteLine($"kernels: XOR {Core.Kernels.XorKernel.Best.Tier}, GF(2^8) {Core.Kernels.GfKernel.Best.Tier}");
            LatencyStats rtt = await LoopbackRtt.MeasureAsync(20_000, cancellation);
            Console.WriteLine($"loopback TCP round trip: p50 {rtt.Median:0.0} µs, p99 {rtt.P99:0.0} µs, p99.9 {rtt.P999:0.0} µs");
            Console.WriteLine();
            Console.WriteLine("| primaries | f | window | p50 µs | p99 µs | p99.9 µs | max µs | p50 / RTT | ops/s | wire B/update | alloc B/update | CPU µs/update |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (int p in result.GetValue(primaries)!)
                foreach (int f in result.GetValue(faults)!)
                    foreach (int w in result.GetValue(windows)!)
                    {
                        LatencyBench.Result r = await LatencyBench.RunAsync(p, f, w, n, cancellation);
                        Console.WriteLine($"| {p} | {f} | {w} | {r.Latency.Median:0.0} | {r.Latency.P99:0.0} | {r.Latency.P999:0.0} | {r.Latency.Max:0} | " +
                                          $"{r.Latency.Median / rtt.Median:0.00} | {r.OpsPerSecond:0} | {r.WireBytesPerUpdate:0} | {r.AllocatedBytesPerUpdate:0.0} | {r.CpuMicrosPerUpdate:0.0} |");
                    }
            if (result.GetValue(noDetection)) return 0;
            Console.WriteLine();
            Console.WriteLine("A backup goes silent (blackholed) under one client writing one at a time (default heartbeatMs 300, suspectAfterMs 1500); " +
                              "writes from the fault to 1 s after the suspicion:");
            Console.WriteLine();
            Console.WriteLine("| f | minAckBackups | detection ms | writes | acknowledged | not done / unknown | p50 µs | p99 µs | max µs |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            var defaults = new ClusterConfig();
            foreach ((int f, int minAck) in new[] { (1, 1), (2, 1), (2, 2) })
            {
                SuspicionBench.Result x = await SuspicionBench.RunAsync(f, minAck, defaults.HeartbeatMs, defaults.SuspectAfterMs, cancellation);
                Console.WriteLine($"| {f} | {minAck} | {x.DetectionMs:0} | {x.During.Count} | {x.Acknowledged} | {x.Refused} | {x.During.Median:0.0} | {x.During.P99:0.0} | {x.During.Max:0} |");
            }
            return 0;
        });
        return command;
    }

    private static Command Recovery()
    {
        var sizes = new Option<long[]>("--sizes", "-s")
        {
            Description = "List lengths in bits (up to about 1.7e10; 10000000000 needs about 10 GB of memory and prints its progress).",
            DefaultValueFactory = _ => [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000], AllowMultipleArgumentsPerToken = true,
        };
        var faults = new Option<int[]>("--faults", "-f") { Description = "Values of f.", DefaultValueFactory = _ => [1, 2], AllowMultipleArgumentsPerToken = true };
        var primaries = new Option<int[]>("--primaries", "-n") { Description = "Numbers of primaries.", DefaultValueFactory = _ => [1, 2, 3, 4, 5], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats", "-r") { Description = "Crashes per configuration (the median is reported).", DefaultValueFactory = _ => 5 };
        var survivorWrites = new Option<bool>("--survivor-writes")
        {
            Description = "One client writes (Set, one at a time) to a surviving primary before and during every recovery; prints its latency (needs --primaries >= 2).",
        };
        var suspectAfter = new Option<int>("--suspect-after-ms")
        {
            Description = "The cluster's suspectAfterMs (default 10000: filling a 10^9-bit list on a loaded machine starves heartbeats past 1.5 s).",
            DefaultValueFactory = _ => 10_000,
        };
        var command = new Command("recovery", "Time to rebuild a crashed primary, against list length and number of primaries (other primaries keep serving).")
        { sizes, faults, primaries, repeats, survivorWrites, suspectAfter };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Name = "bench";
            Log.Quiet = true;
            int r = result.GetValue(repeats);
            bool writes = result.GetValue(survivorWrites);
            int suspect = result.GetValue(suspectAfter);
            if (suspect is < 600 or > 600_000)
            {
                Console.Error.WriteLine("error: --suspect-after-ms must be 600..600000 (at least two heartbeats).");
                return 2;
            }
            if (r < 1 || result.GetValue(sizes)!.Any(s => s < 1 || s > ListLimits.MaxCount))
            {
                Console.Error.WriteLine($"error: --repeats must be at least 1 and every size in 1..{ListLimits.MaxCount}.");
                return 2;
            }
            if (writes && result.GetValue(primaries)!.Any(p => p < 2))
            {
                Console.Error.WriteLine("error: --survivor-writes needs a surviving primary: every --primaries value must be at least 2.");
                return 2;
            }
            Console.WriteLine("| primaries | f | bits | recovery ms (median) | connect ms | cut ms | attempts (median) | bytes received |" +
                              (writes ? " survivor writes quiet p50 / p99 / p99.9 µs | during recovery: writes, refused, p50 / p99 / p99.9 / max µs |" : ""));
            Console.WriteLine("|---|---|---|---|---|---|---|---|" + (writes ? "---|---|" : ""));
            foreach (int f in result.GetValue(faults)!)
                foreach (long bits in result.GetValue(sizes)!)
                    foreach (int p in result.GetValue(primaries)!)
                    {
                        // A list past 2^30 bits takes minutes to fill and check: say where it is, on stderr so the table stays clean.
                        Action<string>? progress = bits >= 1L << 30 ? line => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}") : null;
                        RecoveryBench.Result x = await RecoveryBench.RunAsync(p, f, bits, r, cancellation, survivorWrites: writes, progress: progress, suspectAfterMs: suspect);
                        string survivor = x is { Quiet: { } q, During: { } d }
                            ? $" {q.Median:0} / {q.P99:0} / {q.P999:0} | {d.Count}, {x.Refused}, {d.Median:0} / {d.P99:0} / {d.P999:0} / {d.Max:0} |"
                            : "";
                        Console.WriteLine($"| {p} | {f} | {bits:N0} | {x.TotalMicros / 1000:0.000} | {x.ConnectMicros / 1000:0.000} | {x.CutMicros / 1000:0.000} | {x.Attempts} | {x.WireBytes:N0} |{survivor}");
                    }
            return 0;
        });
        return command;
    }
}
