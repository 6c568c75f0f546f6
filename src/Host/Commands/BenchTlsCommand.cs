using System.CommandLine;
using BitFusion.Host.Bench;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion bench tls`: what mutual TLS costs, each figure measured plain and over TLS back to back in one run on
/// the same fusion fixture (n = 1, f = 1): update latency one at a time, pipelined throughput, bulk transfer (large
/// appends, whole-list reads) and the recovery of large lists.
/// </summary>
internal static class BenchTlsCommand
{
    public static Command Create()
    {
        var ops = new Option<int>("--ops") { Description = "Appends per latency measurement.", DefaultValueFactory = _ => 20_000 };
        var window = new Option<int>("--window", "-w") { Description = "Appends in flight for the throughput row.", DefaultValueFactory = _ => 64 };
        var sizes = new Option<int[]>("--sizes", "-s") { Description = "List lengths in bits for the bulk and recovery rows.", DefaultValueFactory = _ => [10_000_000, 100_000_000], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats", "-r") { Description = "Whole-list reads, and recoveries (the median is reported), per list length.", DefaultValueFactory = _ => 3 };
        var command = new Command("tls", "Plain against mutual TLS 1.3, back to back in one run: update p50/p99, pipelined ops/s, bulk transfer GB/s and recovery time.")
        { ops, window, sizes, repeats };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Name = "bench";
            Log.Quiet = true;
            int n = result.GetValue(ops), w = result.GetValue(window), r = result.GetValue(repeats);
            if (n < 100 || w < 1 || r < 1 || result.GetValue(sizes)!.Any(s => s < 1))
            {
                Console.Error.WriteLine("error: --ops must be at least 100, and --window, --repeats and every size at least 1.");
                return 2;
            }
            Console.WriteLine("| measure | plain | TLS | TLS / plain |");
            Console.WriteLine("|---|---|---|---|");
            var serial = new LatencyBench.Result[2];
            var pipelined = new LatencyBench.Result[2];
            for (int mode = 0; mode < 2; mode++)
            {
                serial[mode] = await LatencyBench.RunAsync(1, 1, 1, n, cancellation, tls: mode == 1);
                pipelined[mode] = await LatencyBench.RunAsync(1, 1, w, n, cancellation, tls: mode == 1);
            }
            Row("update p50 µs (window 1)", serial[0].Latency.Median, serial[1].Latency.Median, "0.0");
            Row("update p99 µs (window 1)", serial[0].Latency.P99, serial[1].Latency.P99, "0.0");
            Row($"ops/s (window {w})", pipelined[0].OpsPerSecond, pipelined[1].OpsPerSecond, "0");
            Row($"update p50 µs (window {w})", pipelined[0].Latency.Median, pipelined[1].Latency.Median, "0.0");
            Row("allocated B/update (window 1)", serial[0].AllocatedBytesPerUpdate, serial[1].AllocatedBytesPerUpdate, "0.0");
            Row($"allocated B/update (window {w})", pipelined[0].AllocatedBytesPerUpdate, pipelined[1].AllocatedBytesPerUpdate, "0.0");
            foreach (int bits in result.GetValue(sizes)!)
            {
                var bulk = new BulkBench.Result[2];
                var recovery = new RecoveryBench.Result[2];
                for (int mode = 0; mode < 2; mode++)
                {
                    bulk[mode] = await BulkBench.RunAsync(bits, r, cancellation, tls: mode == 1);
                    recovery[mode] = await RecoveryBench.RunAsync(1, 1, bits, r, cancellation, tls: mode == 1);
                }
                Row($"bulk append GB/s, {bits:N0} bits", bulk[0].AppendGigabytesPerSecond, bulk[1].AppendGigabytesPerSecond, "0.000");
                Row($"whole-list read GB/s, {bits:N0} bits", bulk[0].ReadGigabytesPerSecond, bulk[1].ReadGigabytesPerSecond, "0.000");
                Row($"recovery ms (median), {bits:N0} bits", recovery[0].TotalMicros / 1000, recovery[1].TotalMicros / 1000, "0.00");
            }
            return 0;
        });
        return command;
    }

    private static void Row(string measure, double plain, double tls, string format) =>
        Console.WriteLine($"| {measure} | {plain.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} | " +
                          $"{tls.ToString(format, System.Globalization.CultureInfo.InvariantCulture)} | {tls / plain:0.00} |");
}
