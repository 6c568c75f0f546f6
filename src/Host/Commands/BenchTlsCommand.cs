using System.CommandLine;
using System.Globalization;
using BitFusion.Host.Bench;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion bench tls`: what mutual TLS costs, on the same fusion fixture (n = 1, f = 1) in one run: update latency
/// one at a time, pipelined throughput, bulk transfer through the transport alone, and the recovery of large lists
/// (whose wire bytes over its time give the rate a rebuild moves data at). Each figure is measured plain, TLS, TLS, plain and each mode's two runs averaged, so whatever drifts over
/// the run (a heap still growing, other load) weighs on both modes alike.
/// </summary>
internal static class BenchTlsCommand
{
    public static Command Create()
    {
        var ops = new Option<int>("--ops") { Description = "Appends per latency measurement.", DefaultValueFactory = _ => 20_000 };
        var window = new Option<int>("--window", "-w") { Description = "Appends in flight for the throughput row.", DefaultValueFactory = _ => 64 };
        var sizes = new Option<int[]>("--sizes", "-s") { Description = "List lengths in bits for the recovery rows.", DefaultValueFactory = _ => [10_000_000, 100_000_000], AllowMultipleArgumentsPerToken = true };
        var transferFrames = new Option<int>("--transfer-frames") { Description = "1 MiB frames sent through one connection for the transport row.", DefaultValueFactory = _ => 512 };
        var repeats = new Option<int>("--repeats", "-r") { Description = "Recoveries per list length and run (the median is reported).", DefaultValueFactory = _ => 3 };
        var command = new Command("tls", "Plain against mutual TLS 1.3 in one run (plain, TLS, TLS, plain): update p50/p99, pipelined ops/s, transport GB/s and recovery time.")
        { ops, window, sizes, transferFrames, repeats };
        command.SetAction(async (result, cancellation) =>
        {
            Log.Name = "bench";
            Log.Quiet = true;
            int n = result.GetValue(ops), w = result.GetValue(window), r = result.GetValue(repeats), frames = result.GetValue(transferFrames);
            if (n < 100 || w < 1 || r < 1 || frames < 1 || result.GetValue(sizes)!.Any(s => s < 1))
            {
                Console.Error.WriteLine("error: --ops must be at least 100, and --window, --repeats, --transfer-frames and every size at least 1.");
                return 2;
            }
            Console.WriteLine("| measure | plain | TLS | TLS / plain |");
            Console.WriteLine("|---|---|---|---|");
            var serial = await PlainTlsTlsPlainAsync(tls => LatencyBench.RunAsync(1, 1, 1, n, cancellation, tls));
            Row("update p50 µs (window 1)", serial, x => x.Latency.Median, "0.0");
            Row("update p99 µs (window 1)", serial, x => x.Latency.P99, "0.0");
            Row("allocated B/update (window 1)", serial, x => x.AllocatedBytesPerUpdate, "0.0");
            var pipelined = await PlainTlsTlsPlainAsync(tls => LatencyBench.RunAsync(1, 1, w, n, cancellation, tls));
            Row($"ops/s (window {w})", pipelined, x => x.OpsPerSecond, "0");
            Row($"update p50 µs (window {w})", pipelined, x => x.Latency.Median, "0.0");
            Row($"allocated B/update (window {w})", pipelined, x => x.AllocatedBytesPerUpdate, "0.0");
            var transfer = await PlainTlsTlsPlainAsync(tls => TransferBench.GigabytesPerSecondAsync(frames, cancellation, tls));
            Row($"transport GB/s, {frames} × 1 MiB frames", transfer, x => x, "0.000");
            foreach (int bits in result.GetValue(sizes)!)
            {
                var recovery = await PlainTlsTlsPlainAsync(tls => RecoveryBench.RunAsync(1, 1, bits, r, cancellation, tls));
                Row($"recovery ms (median), {bits:N0} bits", recovery, x => x.TotalMicros / 1000, "0.00");
                Row($"recovery GB/s (bytes to the recoverer / time), {bits:N0} bits", recovery, x => x.WireBytes / (x.TotalMicros * 1000), "0.000");
            }
            return 0;
        });
        return command;
    }

    /// <summary>Runs plain, TLS, TLS, plain; returns the plain runs and the TLS runs.</summary>
    private static async Task<(T[] Plain, T[] Tls)> PlainTlsTlsPlainAsync<T>(Func<bool, Task<T>> run)
    {
        T plain1 = await run(false), tls1 = await run(true), tls2 = await run(true), plain2 = await run(false);
        return ([plain1, plain2], [tls1, tls2]);
    }

    private static void Row<T>(string measure, (T[] Plain, T[] Tls) runs, Func<T, double> figure, string format)
    {
        double plain = runs.Plain.Average(figure), tls = runs.Tls.Average(figure);
        Console.WriteLine($"| {measure} | {plain.ToString(format, CultureInfo.InvariantCulture)} | {tls.ToString(format, CultureInfo.InvariantCulture)} | " +
                          $"{(tls / plain).ToString("0.00", CultureInfo.InvariantCulture)} |");
    }
}
