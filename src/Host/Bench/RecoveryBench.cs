using BitFusion.Net.Client;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>Recovery time of one primary against its list length and the number of primaries, for f backups.</summary>
internal static class RecoveryBench
{
    public sealed record Result(int Primaries, int Faults, int Bits, double TotalMicros, double ConnectMicros, double CutMicros, int Attempts, long WireBytes, int Repeats);

    public static async Task<Result> RunAsync(int primaries, int faults, int bits, int repeats, CancellationToken cancellation, bool tls = false)
    {
        // A transfer's chunks are queued at once (no flow control yet), so a list past the default queue cap needs a larger one.
        long listBytes = bits / 8L, queue = 3 * listBytes + (8L << 20);
        long? maxSendQueueBytes = queue > Connection.DefaultMaxQueuedBytes(Frame.DefaultMaxFrameBytes) ? queue : null;
        // Filling lists of 10^8 bits and more on a loaded machine can starve a backup's heartbeats past the default
        // 1.5 s; a false suspicion would measure the retry, not the recovery.
        await using InProcessFusion fusion = await InProcessFusion.StartAsync(primaries, faults, 1024, cancellation, tls, maxSendQueueBytes, suspectAfterMs: 10_000);
        var random = new Random(bits + primaries);
        const int chunkBits = 1 << 22;
        var chunk = new ulong[chunkBits / 64];
        for (int i = 0; i < primaries; i++)
        {
            // Growing a list of 10^9 bits copies it at each growth step (exact-size storage), so a fill run may wait long.
            using BitListClient client = await fusion.ClientAsync(i, cancellation, TimeSpan.FromMinutes(5));
            var pending = new List<ValueTask<long>>();
            for (int done = 0; done < bits; done += chunkBits)
            {
                int n = Math.Min(chunkBits, bits - done);
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
        }
        var totals = new List<double>();
        var connects = new List<double>();
        var cuts = new List<double>();
        var attempts = new List<int>();
        long bytes = 0;
        for (int r = 0; r < repeats; r++)
        {
            (ulong[] Words, int Length) before = fusion.Primary(0).List.Snapshot();
            fusion.CrashPrimary(0);
            RecoveryReport report = await fusion.StartPrimaryAsync(0, cancellation);
            (ulong[] Words, int Length) after = fusion.Primary(0).List.Snapshot();
            if (after.Length != before.Length || !after.Words.AsSpan().SequenceEqual(before.Words))
                throw new InvalidOperationException($"recovered list differs (length {after.Length} vs {before.Length})");
            totals.Add(report.Total.TotalMicroseconds);
            connects.Add(report.Phases.Connect.TotalMicroseconds);
            cuts.Add(report.Phases.Cut.TotalMicroseconds);
            attempts.Add(report.Attempts);
            bytes = report.BytesReceived;
        }
        return new Result(primaries, faults, bits, Median(totals), Median(connects), Median(cuts), Median(attempts), bytes, repeats);
    }

    private static T Median<T>(List<T> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
