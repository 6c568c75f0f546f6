using System.Security.Cryptography;
using BitFusion.Core.Bits;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;

namespace FusedListSample;

/// <summary>
/// The child processes. Each prints one-line reports on standard output for the coordinator and runs until its
/// standard input closes (or it is killed).
/// </summary>
internal static class Roles
{
    public static async Task<int> BackupAsync(string config, int nodeId)
    {
        using var server = new BackupServer(Cluster.Load(config), nodeId);
        server.Start();
        Console.WriteLine($"ready backup {server.BackupIndex} on {server.EndPoint}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    /// <summary>
    /// Opens the fused list of primary <paramref name="nodeId"/> (rebuilt from the backup and the other primary if the
    /// cluster knew it), appends <paramref name="bits"/> pseudo-random bits, and reports what was acknowledged.
    /// </summary>
    public static async Task<int> PrimaryAsync(string config, int nodeId, int bits, int seed)
    {
        using FusedBitList list = await FusedBitList.OpenAsync(Cluster.Load(config), nodeId);
        RecoveryReport opened = list.Recovery!;
        Console.WriteLine($"opened primary {list.PrimaryIndex} {(opened.Rebuilt ? "rebuilt" : "fresh")} " +
                          $"length={opened.Length} in {opened.Total.TotalMilliseconds:0.0} ms");

        // The acknowledged bits, kept aside to print their digest: every append below completed, so every one is in.
        using var acked = new PackedBitList();
        var random = new Random(seed);
        var inFlight = new List<Task<long>>(Pipeline);
        for (int i = 0; i < bits; i++)
        {
            bool bit = random.Next(2) == 1;
            inFlight.Add(list.AppendAsync(bit).AsTask());
            acked.Append(bit);
            if (inFlight.Count == Pipeline || i == bits - 1)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }
        if (bits > 0) Console.WriteLine($"acked {acked.Count} {Digest(acked.Words)}");

        (ulong[] words, long length) = list.Snapshot();
        Console.WriteLine($"list {length} {Digest(words.AsSpan(0, Delta.WordsFor(length)))}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    /// <summary>Appends awaited together: a fused list acknowledges pipelined writes in order.</summary>
    private const int Pipeline = 256;

    private static string Digest(ReadOnlySpan<ulong> words) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words)))[..16];
}
