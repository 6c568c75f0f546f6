using System.Diagnostics;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;
using BitFusion.Net.Fusion;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Bench;

/// <summary>Recovery time of one primary against its list length and the number of primaries, for f backups.</summary>
internal static class RecoveryBench
{
    /// <summary>Writes to a survivor before the crashes, the baseline its writes during the recoveries compare with.</summary>
    private const int QuietWrites = 2000;

    /// <param name="Quiet">With survivor writes: one client's writes to primary 1 with nothing recovering.</param>
    /// <param name="During">The same client's writes while primary 0 recovered (from the crash to serving again).</param>
    /// <param name="Refused">Writes during the recoveries answered not done or unknown (counted in <paramref name="During"/>).</param>
    public sealed record Result(int Primaries, int Faults, long Bits, double TotalMicros, double ConnectMicros, double CutMicros, int Attempts, long WireBytes, int Repeats,
        LatencyStats? Quiet = null, LatencyStats? During = null, int Refused = 0);

    /// <param name="survivorWrites">One client writes to primary 1, one write at a time, through every recovery (needs two primaries).</param>
    /// <param name="progress">Told of each long step (filling, crash, recovery, check), for lists that take minutes.</param>
    public static async Task<Result> RunAsync(int primaries, int faults, long bits, int repeats, CancellationToken cancellation, bool tls = false,
        bool survivorWrites = false, Action<string>? progress = null, int suspectAfterMs = 10_000)
    {
        // Filling lists of 10^8 bits and more on a loaded machine can starve a backup's heartbeats past the default
        // 1.5 s; a false suspicion would measure the retry, not the recovery.
        await using InProcessFusion fusion = await InProcessFusion.StartAsync(primaries, faults, 1024, cancellation, tls, suspectAfterMs: suspectAfterMs);
        var random = new Random((int)(bits % int.MaxValue) + primaries);
        const int chunkBits = 1 << 22;
        var chunk = new ulong[chunkBits / 64];
        for (int i = 0; i < primaries; i++)
        {
            // Growing a list of 10^9 bits copies it at each growth step (exact-size storage), so a fill run may wait long.
            using BitListClient client = await fusion.ClientAsync(i, cancellation, TimeSpan.FromMinutes(5));
            var pending = new List<ValueTask<long>>();
            var filling = Stopwatch.StartNew();
            long step = Math.Max(chunkBits, bits / 10);
            for (long done = 0; done < bits; done += chunkBits)
            {
                int n = (int)Math.Min(chunkBits, bits - done);
                if (done > 0 && done % step < chunkBits)
                    progress?.Invoke($"primary {i}: {done:N0} of {bits:N0} bits appended in {filling.Elapsed.TotalSeconds:0.0} s");
                for (int w = 0; w < chunk.Length; w++) chunk[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
                pending.Add(client.AppendManyAsync(chunk, n));
                // A few runs in flight keep the link busy; all of a 10^9-bit list at once would pass the client's send-queue cap.
                if (pending.Count == 8)
                {
                    foreach (ValueTask<long> p in pending) await p;
                    pending.Clear();
                }
            }
            foreach (ValueTask<long> p in pending) await p;
            progress?.Invoke($"primary {i}: {bits:N0} bits appended in {filling.Elapsed.TotalSeconds:0.0} s");
        }
        using BitListClient? writer = survivorWrites && primaries > 1 ? await fusion.ClientAsync(1, cancellation, TimeSpan.FromMinutes(5)) : null;
        var quiet = new List<double>();
        var during = new List<double>();
        int refused = 0;
        if (writer is not null)
            for (int i = 0; i < QuietWrites; i++)
                refused += await TimedWriteAsync(writer, random.NextInt64(bits), quiet);
        refused = 0;
        var totals = new List<double>();
        var connects = new List<double>();
        var cuts = new List<double>();
        var attempts = new List<int>();
        long bytes = 0;
        for (int r = 0; r < repeats; r++)
        {
            (ulong[] Words, long Length) before = fusion.Primary(0).List.Snapshot();
            progress?.Invoke($"crash {r + 1} of {repeats}: crashing primary 0 ({before.Length:N0} bits) and recovering it");
            using var recovering = new CancellationTokenSource();
            Task<int> writes = writer is null ? Task.FromResult(0) : WriteUntilAsync(writer, bits, random.Next(), during, recovering.Token);
            fusion.CrashPrimary(0);
            RecoveryReport report;
            try
            {
                report = await fusion.StartPrimaryAsync(0, cancellation);
            }
            finally
            {
                await recovering.CancelAsync();
                refused += await writes;
            }
            progress?.Invoke($"crash {r + 1} of {repeats}: recovered in {report.Total.TotalMilliseconds:0.0} ms; checking it bit for bit");
            if (!fusion.Primary(0).List.ContentEquals(before.Words, before.Length))
                throw new InvalidOperationException($"recovered list differs from the {before.Length:N0} bits before the crash (now {fusion.Primary(0).List.Count:N0})");
            progress?.Invoke($"crash {r + 1} of {repeats}: the recovered list equals the list before the crash");
            totals.Add(report.Total.TotalMicroseconds);
            connects.Add(report.Phases.Connect.TotalMicroseconds);
            cuts.Add(report.Phases.Cut.TotalMicroseconds);
            attempts.Add(report.Attempts);
            bytes = report.BytesReceived;
        }
        return new Result(primaries, faults, bits, Median(totals), Median(connects), Median(cuts), Median(attempts), bytes, repeats,
            writer is null ? null : LatencyStats.FromMicros(quiet.ToArray()), writer is null ? null : LatencyStats.FromMicros(during.ToArray()), refused);
    }

    /// <summary>One write at a time until <paramref name="stop"/> fires, the one under way when it fires included; returns how many were refused.</summary>
    private static async Task<int> WriteUntilAsync(BitListClient writer, long bits, int seed, List<double> latencies, CancellationToken stop)
    {
        var random = new Random(seed);
        int refused = 0;
        while (!stop.IsCancellationRequested) refused += await TimedWriteAsync(writer, random.NextInt64(bits), latencies);
        return refused;
    }

    private static async Task<int> TimedWriteAsync(BitListClient writer, long index, List<double> latencies)
    {
        long started = Stopwatch.GetTimestamp();
        int refused = 0;
        try
        {
            await writer.SetAsync(index, (index & 1) == 0);
        }
        catch (RemoteException e) when (e.Code is ErrorCode.NotDone or ErrorCode.Unknown)
        {
            refused = 1;
        }
        latencies.Add(Ticks.MicrosSince(started));
        return refused;
    }

    private static T Median<T>(List<T> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
