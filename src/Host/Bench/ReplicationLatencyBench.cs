using System.Diagnostics;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>
/// Update latency and throughput of active replication: g groups of f + 1 data nodes, m managers, and per group one
/// client per manager keeping `window` appends in flight, so with m > 1 several managers multicast to every group.
/// </summary>
internal static class ReplicationLatencyBench
{
    public sealed record Result(int Groups, int Faults, int Managers, int Window, LatencyStats Latency, LatencyStats ManagerSide,
        double OpsPerSecond, double WireBytesPerUpdate, double FramesPerUpdate, double MessagesPerUpdate, double HandledPerUpdate, double BatchesPerUpdate,
        double AllocatedBytesPerUpdate, double CpuMicrosPerUpdate);

    public static async Task<Result> RunAsync(int groups, int faults, int managers, int window, int opsPerClient, CancellationToken cancellation)
    {
        await using InProcessReplication cluster = await InProcessReplication.StartAsync(groups, faults, managers, Math.Max(window * 2 * groups * managers, 64), cancellation);
        var clients = new List<BitListClient>();
        for (int g = 0; g < groups; g++)
            for (int m = 0; m < managers; m++)
                clients.Add(await cluster.ClientAsync(g, m, (ushort)(1000 + clients.Count), cancellation));
        try
        {
            await Task.WhenAll(clients.Select(c => LatencyBench.DriveAsync(c, window, Math.Min(2000, opsPerClient), null)));
            foreach (BitListClient c in clients) await c.SamplesAsync();
            var samples = clients.Select(_ => new double[opsPerClient]).ToArray();
            long wireBefore = Connection.TotalBytesSent;
            long messagesBefore = Connection.TotalFramesSent, handledBefore = Connection.TotalFramesReceived, batchedBefore = Connection.TotalFramesBatched, readBatchesBefore = FrameLoop.TotalBatches;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((c, i) => LatencyBench.DriveAsync(c, window, opsPerClient, samples[i])));
            double seconds = clock.Elapsed.TotalSeconds;
            TimeSpan cpu = Environment.CpuUsage.TotalTime - cpuBefore;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            long wire = Connection.TotalBytesSent - wireBefore;
            long messages = Connection.TotalFramesSent - messagesBefore;
            long frames = messages - (Connection.TotalFramesBatched - batchedBefore);
            long readBatches = FrameLoop.TotalBatches - readBatchesBefore;
            long handled = Connection.TotalFramesReceived - handledBefore;
            var managerSide = new List<double>();
            for (int g = 0; g < groups; g++) managerSide.AddRange((await clients[g * managers].SamplesAsync()).Select(v => (double)v));
            double[] all = samples.SelectMany(s => s).ToArray();
            return new Result(groups, faults, managers, window, LatencyStats.FromMicros(all), LatencyStats.FromMicros(managerSide.ToArray()),
                all.Length / seconds, (double)wire / all.Length, (double)frames / all.Length, (double)messages / all.Length, (double)handled / all.Length,
                (double)readBatches / all.Length, (double)allocated / all.Length, cpu.TotalMicroseconds / all.Length);
        }
        finally
        {
            foreach (BitListClient c in clients) c.Dispose();
        }
    }
}
