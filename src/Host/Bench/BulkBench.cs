using System.Diagnostics;
using BitFusion.Net.Client;

namespace BitFusion.Host.Bench;

/// <summary>
/// Bulk transfer through one primary (n = 1, f = 1): a list filled by large appends (client → primary → backup, each
/// append's delta crossing to the backup) and then read whole several times (primary → client, one frame per read).
/// </summary>
internal static class BulkBench
{
    public sealed record Result(double AppendGigabytesPerSecond, double ReadGigabytesPerSecond);

    public static async Task<Result> RunAsync(int bits, int reads, CancellationToken cancellation, bool tls = false)
    {
        await using InProcessFusion fusion = await InProcessFusion.StartAsync(1, 1, 1024, cancellation, tls);
        using BitListClient client = await fusion.ClientAsync(0, cancellation);
        const int chunkBits = 1 << 22;
        var chunk = new ulong[chunkBits / 64];
        new Random(bits).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chunk.AsSpan()));
        var clock = Stopwatch.StartNew();
        var pending = new List<ValueTask<long>>();
        for (int done = 0; done < bits; done += chunkBits) pending.Add(client.AppendManyAsync(chunk, Math.Min(chunkBits, bits - done)));
        foreach (ValueTask<long> p in pending) await p;
        double appendSeconds = clock.Elapsed.TotalSeconds;
        BitsResult first = await client.ReadAllAsync();
        if (first.Length != bits) throw new InvalidOperationException($"read {first.Length} bits of {bits}");
        clock.Restart();
        for (int i = 0; i < reads; i++) await client.ReadAllAsync();
        double readSeconds = clock.Elapsed.TotalSeconds;
        double bytes = bits / 8.0;
        return new Result(bytes / appendSeconds / 1e9, reads * bytes / readSeconds / 1e9);
    }
}
