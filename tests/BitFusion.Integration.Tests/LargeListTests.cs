using BitFusion.Harness;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Fusion lists many times larger than one frame (a cluster with 4096-byte frames, the minimum) move in chunks:
/// a client reads the whole list back, a SIGKILLed primary rebuilds it from a residual, a restarted backup is
/// loaded by snapshots, and the primary rebuilt from that backup gets every word back. One list is random bits
/// (every chunk raw), the other runs of ones and zeros (chunks LZ4-compressed). Each list is also several times
/// the cluster's send-queue cap: every transfer is paced by its connection's drain, so none is dropped as a slow
/// consumer (with the chunks queued at once, the first residual was, and the recovery never finished).
/// </summary>
public sealed class LargeListTests(ITestOutputHelper output)
{
    private const int MaxFrameBytes = 4096;
    private const int MaxSendQueueBytes = 16 << 10;
    private const int BitsPerWrite = 24_000;
    private const int Writes = 40;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ListsBeyondOneFrameAreReadRecoveredAndReEncoded()
    {
        int seed = TestSeed.Next();
        output.WriteLine(TestSeed.Describe(seed));
        var rng = new Random(seed);
        ClusterConfig config = ClusterLayout.Build(2, 2, 0, 0, "127.0.0.1", 0);
        config.MaxFrameBytes = MaxFrameBytes;
        config.MaxSendQueueBytes = MaxSendQueueBytes;
        await using FusionCluster cluster = await FusionCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path });
        NodeProcess victim = cluster.Primaries[0], survivor = cluster.Primaries[1];

        ulong[] random = await WriteAsync(cluster, victim, i => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63));
        ulong[] runs = await WriteAsync(cluster, survivor, i => (i / 37) % 3 == 0 ? ulong.MaxValue : 0);
        int bits = Writes * BitsPerWrite;
        output.WriteLine($"two lists of {bits} bits ({bits / 8 / MaxFrameBytes}× the {MaxFrameBytes}-byte frame limit, " +
                         $"{bits / 8 / MaxSendQueueBytes}× the {MaxSendQueueBytes}-byte send-queue cap)");
        await ReadsBackAsync(cluster, victim, random, "before any failure");

        await victim.KillAsync();
        ReadyLine ready = await victim.StartAsync(Patience);
        output.WriteLine(ready.Text);
        Assert.True(ready.Has("rebuilt"), $"{victim} did not rebuild: {ready.Text}");
        await ReadsBackAsync(cluster, victim, random, "rebuilt from a residual");

        NodeProcess backup = cluster.Backups[0];
        await backup.KillAsync();
        output.WriteLine((await backup.StartAsync(Patience)).Text);
        await BackupProbe.WaitCompleteAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id, (ushort)survivor.Id, Patience);
        (ulong[] fused, long fusedLength) = await BackupProbe.FusedAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id);
        Assert.Equal(bits, fusedLength);
        Assert.True(fused.AsSpan().SequenceEqual(random.Zip(runs, (a, b) => a ^ b).ToArray()), "the re-encoded XOR backup does not hold list 0 ⊕ list 1");

        // Backup 1 goes too: the next rebuild must come from the backup that was loaded by snapshots alone.
        await cluster.Backups[1].KillAsync();
        await victim.KillAsync();
        ready = await victim.StartAsync(Patience);
        output.WriteLine(ready.Text);
        Assert.True(ready.Has("rebuilt"), $"{victim} did not rebuild from the re-encoded backup: {ready.Text}");
        // Reads wait for minAckBackups (f) streaming backups: backup 1 comes back, loaded by snapshots too.
        NodeProcess gf = cluster.Backups[1];
        output.WriteLine((await gf.StartAsync(Patience)).Text);
        await BackupProbe.WaitCompleteAsync(cluster.EndPointOf(gf.Id), cluster.Key, (ushort)gf.Id, (ushort)survivor.Id, Patience);
        await ReadsBackAsync(cluster, victim, random, "rebuilt from the re-encoded backup");
        await ReadsBackAsync(cluster, survivor, runs, "the survivor, after two cuts");
        foreach (NodeProcess node in cluster.Primaries.Concat(cluster.Backups))
            Assert.DoesNotContain(WholeLog(node), l => l.Contains("slow consumer", StringComparison.Ordinal));
    }

    /// <summary>Every line the node wrote in all its lives (the tail in memory keeps only the last few hundred).</summary>
    private static List<string> WholeLog(NodeProcess node)
    {
        using var file = new FileStream(node.Log.FilePath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(file);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    /// <summary>Appends <see cref="Writes"/> runs of <see cref="BitsPerWrite"/> bits to the primary's list; returns its words.</summary>
    private static async Task<ulong[]> WriteAsync(FusionCluster cluster, NodeProcess primary, Func<int, ulong> word)
    {
        var list = new ulong[Writes * BitsPerWrite / 64];
        for (int i = 0; i < list.Length; i++) list[i] = word(i);
        using BitListClient client = await ConnectAsync(cluster, primary);
        const int wordsPerWrite = BitsPerWrite / 64;
        for (int w = 0; w < Writes; w++)
            Assert.Equal((long)(w + 1) * BitsPerWrite, await client.AppendManyAsync(list.AsSpan(w * wordsPerWrite, wordsPerWrite), BitsPerWrite));
        return list;
    }

    private async Task ReadsBackAsync(FusionCluster cluster, NodeProcess primary, ulong[] expected, string when)
    {
        using BitListClient client = await ConnectAsync(cluster, primary);
        BitsResult read = await client.ReadAllAsync().WaitAsync(Patience);
        Assert.Equal(expected.Length * 64, read.Length);
        Assert.True(read.Words.AsSpan().SequenceEqual(expected), $"{primary}'s list read back {when} differs from what was written");
        output.WriteLine($"{primary} read back whole {when}: {read.Length} bits at seq {read.Seq}");
    }

    private static Task<BitListClient> ConnectAsync(FusionCluster cluster, NodeProcess primary) =>
        BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), 1, maxFrameBytes: MaxFrameBytes);
}
