using System.Diagnostics;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>Update latency and throughput of fusion: n primaries, f backups, each client keeping `window` appends in flight.</summary>
internal static class LatencyBench
{
    /// <param name="CpuMicrosPerUpdate">The whole process's CPU time (every thread: clients, primaries, backups) over the timed run, per update.</param>
    public sealed record Result(int Primaries, int Faults, int Window, LatencyStats Latency, double OpsPerSecond, double WireBytesPerUpdate, double AllocatedBytesPerUpdate,
        double CpuMicrosPerUpdate);

    public static async Task<Result> RunAsync(int primaries, int faults, int window, int opsPerPrimary, CancellationToken cancellation, bool tls = false)
    {
        await using InProcessFusion fusion = await InProcessFusion.StartAsync(primaries, faults, Math.Max(window * 2, 64), cancellation, tls);
        var clients = new BitListClient[primaries];
        for (int i = 0; i < primaries; i++) clients[i] = await fusion.ClientAsync(i, cancellation);
        try
        {
            await Task.WhenAll(clients.Select(c => DriveAsync(c, window, Math.Min(2000, opsPerPrimary), null)));
            var samples = new double[primaries][];
            for (int i = 0; i < primaries; i++) samples[i] = new double[opsPerPrimary];
            long wireBefore = Connection.TotalBytesSent;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((c, i) => DriveAsync(c, window, opsPerPrimary, samples[i])));
            double seconds = clock.Elapsed.TotalSeconds;
            TimeSpan cpu = Environment.CpuUsage.TotalTime - cpuBefore;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            long wire = Connection.TotalBytesSent - wireBefore;
            double[] all = samples.SelectMany(s => s).ToArray();
            return new Result(primaries, faults, window, LatencyStats.FromMicros(all), all.Length / seconds, (double)wire / all.Length,
                (double)allocated / all.Length, cpu.TotalMicroseconds / all.Length);
        }
        finally
        {
            foreach (BitListClient c in clients) c.Dispose();
        }
    }

    /// <summary>
    /// Appends random bits keeping `window` in flight; replies arrive in submission order, so the oldest is awaited
    /// first. One async method for the whole run, so the driver itself allocates nothing per operation.
    /// </summary>
    internal static async Task DriveAsync(BitListClient client, int window, int ops, double[]? samples)
    {
        var inflight = new ValueTask<long>[window];
        var started = new long[window];
        var random = new Random(ops ^ window);
        int head = 0, count = 0, completed = 0;
        for (int i = 0; i < ops + window; i++)
        {
            if (count == window || (i >= ops && count > 0))
            {
                await inflight[head];
                if (samples is not null) samples[completed] = Ticks.MicrosSince(started[head]);
                completed++;
                head = (head + 1) % window;
                count--;
            }
            if (i >= ops) continue;
            int slot = (head + count) % window;
            started[slot] = Stopwatch.GetTimestamp();
            inflight[slot] = client.AppendAsync(random.Next(2) == 1);
            count++;
        }
        while (count > 0)
        {
            await inflight[head];
            if (samples is not null) samples[completed] = Ticks.MicrosSince(started[head]);
            completed++;
            head = (head + 1) % window;
            count--;
        }
    }
}
