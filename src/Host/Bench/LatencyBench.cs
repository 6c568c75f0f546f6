using System.Diagnostics;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;

namespace BitFusion.Host.Bench;

/// <summary>Update latency and throughput of fusion: n primaries, f backups, each client keeping `window` appends in flight.</summary>
internal static class LatencyBench
{
    public sealed record Result(int Primaries, int Faults, int Window, LatencyStats Latency, double OpsPerSecond, double WireBytesPerUpdate);

    public static async Task<Result> RunAsync(int primaries, int faults, int window, int opsPerPrimary, CancellationToken cancellation)
    {
        await using InProcessFusion fusion = await InProcessFusion.StartAsync(primaries, faults, Math.Max(window * 2, 64), cancellation);
        var clients = new BitListClient[primaries];
        for (int i = 0; i < primaries; i++) clients[i] = await fusion.ClientAsync(i, cancellation);
        try
        {
            await Task.WhenAll(clients.Select(c => DriveAsync(c, window, Math.Min(2000, opsPerPrimary), null)));
            long wireBefore = WireBytes(fusion, clients);
            var samples = new double[primaries][];
            for (int i = 0; i < primaries; i++) samples[i] = new double[opsPerPrimary];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((c, i) => DriveAsync(c, window, opsPerPrimary, samples[i])));
            double seconds = clock.Elapsed.TotalSeconds;
            long wire = WireBytes(fusion, clients) - wireBefore;
            double[] all = samples.SelectMany(s => s).ToArray();
            return new Result(primaries, faults, window, LatencyStats.FromMicros(all), all.Length / seconds, (double)wire / all.Length);
        }
        finally
        {
            foreach (BitListClient c in clients) c.Dispose();
        }
    }

    private static long WireBytes(InProcessFusion fusion, BitListClient[] clients)
    {
        long total = clients.Sum(c => c.BytesSent + c.BytesReceived);
        for (int i = 0; i < clients.Length; i++) total += fusion.Primary(i).List.BackupWireBytes;
        return total;
    }

    /// <summary>Appends random bits keeping `window` in flight; replies arrive in submission order, so the oldest is awaited first.</summary>
    private static async Task DriveAsync(BitListClient client, int window, int ops, double[]? samples)
    {
        var inflight = new (ValueTask<long> Task, long Start)[window];
        var random = new Random(ops ^ window);
        int head = 0, count = 0;
        for (int i = 0; i < ops; i++)
        {
            if (count == window)
            {
                await Complete(inflight[head], samples, i - window);
                head = (head + 1) % window;
                count--;
            }
            inflight[(head + count) % window] = (client.AppendAsync(random.Next(2) == 1), Stopwatch.GetTimestamp());
            count++;
        }
        for (int k = 0; k < count; k++)
            await Complete(inflight[(head + k) % window], samples, ops - count + k);
    }

    private static async Task Complete((ValueTask<long> Task, long Start) op, double[]? samples, int slot)
    {
        await op.Task;
        if (samples is not null) samples[slot] = Ticks.MicrosSince(op.Start);
    }
}
