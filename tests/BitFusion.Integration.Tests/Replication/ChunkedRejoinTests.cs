using BitFusion.Harness;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// A group's list many times longer than <c>maxFrameBytes</c> (64 KiB frames, a 768 KiB list): a SIGKILLed data node
/// rejoins by a chunked state transfer while writes go on, and ends with the surviving replica's words, which are
/// the acknowledged writes; each replica's whole list is read back in chunks.
/// </summary>
public sealed class ChunkedRejoinTests(ITestOutputHelper output)
{
    private const int MaxFrame = 64 << 10;
    private const int RunBits = 1 << 18;
    private const int RunsBefore = 24, RunsDuring = 4, RunsAfter = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ADataNodeRejoinsWithAListManyFramesLong()
    {
        int seed = TestSeed.Next();
        output.WriteLine(TestSeed.Describe(seed));
        var rng = new Random(seed);
        ClusterConfig config = ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0);
        config.MaxFrameBytes = MaxFrame;
        await using ReplicationCluster cluster = await ReplicationCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path });
        NodeProcess manager = cluster.Managers[0], survivor = cluster.Groups[0][0], victim = cluster.Groups[0][1];
        using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.Key, cluster.IdentityOf(manager.Id), 50,
            group: 0, maxFrameBytes: MaxFrame);
        var expected = new List<ulong>();
        for (int i = 0; i < RunsBefore; i++) await AppendRunAsync(client, rng, i, expected);

        await cluster.KillAsync([victim]);
        Task<ReadyLine> rejoin = victim.StartAsync(Patience, CancellationToken.None);
        for (int i = 0; i < RunsDuring; i++) await AppendRunAsync(client, rng, i, expected);
        ReadyLine ready = await rejoin;
        output.WriteLine($"{victim}: {ready.Text}");
        Assert.True(ready.Has("rejoined"), ready.Text);
        Assert.True(ready.Int64("length") > 8L * 8 * MaxFrame, $"the list must be many frames long: {ready.Text}");
        for (int i = 0; i < RunsAfter; i++) await AppendRunAsync(client, rng, i, expected);

        BitsResult kept = await ReadReplicaAsync(cluster, survivor), rejoined = await ReadReplicaAsync(cluster, victim);
        Assert.Equal(expected.Count * 64, kept.Length);
        Assert.True(expected.SequenceEqual(kept.Words), "the surviving replica lost or changed acknowledged writes");
        Assert.Equal((kept.Length, kept.Seq), (rejoined.Length, rejoined.Seq));
        Assert.True(kept.Words.AsSpan().SequenceEqual(rejoined.Words), "the rejoined replica's words differ from the survivor's");

        // A manager relays one frame per read: it passes on the replica's clear refusal.
        RemoteException refused = await Assert.ThrowsAsync<RemoteException>(() => client.ReadAllAsync());
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Contains("read it from a data node directly", refused.Message);
    }

    /// <summary>Random runs (raw chunks) alternate with sparse ones (LZ4 chunks).</summary>
    private static async Task AppendRunAsync(BitListClient client, Random rng, int i, List<ulong> expected)
    {
        ulong[] run = new ulong[RunBits / 64];
        if (i % 2 == 0) rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(run.AsSpan()));
        else run[rng.Next(run.Length)] = 1UL << rng.Next(64);
        long count = await client.AppendManyAsync(run, RunBits);
        expected.AddRange(run);
        Assert.Equal(expected.Count * 64L, count);
    }

    private static async Task<BitsResult> ReadReplicaAsync(ReplicationCluster cluster, NodeProcess node)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(node.Id), cluster.Key, cluster.IdentityOf(node.Id), 51,
            maxFrameBytes: MaxFrame, cancellation: timeout.Token);
        return await client.ReadAllAsync().WaitAsync(timeout.Token);
    }
}
