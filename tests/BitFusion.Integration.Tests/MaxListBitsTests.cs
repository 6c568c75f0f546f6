using System.Net;
using BitFusion.Core.Bits;
using BitFusion.Harness;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The cluster's <c>maxListBits</c> against real processes: a write that would grow a list past it is refused and
/// changes nothing, a peer that passed the handshake and declares a longer list (a snapshot, a delta) is
/// disconnected before the node allocates for it, and a client refuses a read answer past its own limit.
/// </summary>
public sealed class MaxListBitsTests(ITestOutputHelper output)
{
    private const long Limit = 100_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AWritePastTheLimitIsRefusedAndChangesNothing()
    {
        await using FusionCluster cluster = await StartAsync();
        EndPoint primary = cluster.EndPointOf(cluster.Primaries[0].Id);
        using BitListClient client = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
        ulong[] words = new ulong[Delta.WordsFor(Limit)];
        Array.Fill(words, 0x5A5A_5A5A_5A5A_5A5AUL);
        Assert.Equal(Limit - 10, await client.AppendManyAsync(words, (int)Limit - 10).AsTask().WaitAsync(Patience));

        RemoteException refused = await Assert.ThrowsAsync<RemoteException>(() => client.AppendManyAsync(words, 11).AsTask().WaitAsync(Patience));
        output.WriteLine($"AppendMany of 11 bits onto {Limit - 10}: {refused.Code}: {refused.Message}");
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Contains("maxListBits", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Limit - 10, await client.CountAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(Limit - 10, await BackupLengthAsync(cluster));

        Assert.Equal(Limit, await client.AppendManyAsync(words, 10).AsTask().WaitAsync(Patience));
        refused = await Assert.ThrowsAsync<RemoteException>(() => client.AppendAsync(true).AsTask().WaitAsync(Patience));
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Equal(Limit, await client.CountAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(Limit, await BackupLengthAsync(cluster));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APeerDeclaringAListPastTheLimitIsDisconnectedAndChangesNothing(bool snapshot)
    {
        MessageType kind = snapshot ? MessageType.Snapshot : MessageType.Delta;
        await using FusionCluster cluster = await StartAsync();
        NodeProcess backup = cluster.Backups[0];
        EndPoint primary = cluster.EndPointOf(cluster.Primaries[0].Id);
        using BitListClient client = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
        for (int i = 0; i < 100; i++) await client.AppendAsync((i & 1) == 0);
        long logMark = backup.Log.Total;

        // Speaking as the primary (it holds the cluster key), one frame that declares one bit more than the limit.
        using RawPeer peer = await RawPeer.ConnectAsync(cluster.EndPointOf(backup.Id));
        await peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Primary, (ushort)cluster.Primaries[0].Id), cluster.IdentityOf(backup.Id));
        peer.SendFrame(kind, kind == MessageType.Snapshot ? SnapshotChunk(Limit + 1) : DeltaPast(Limit + 1));
        List<(MessageType Type, byte[] Payload)> answered = await peer.ExpectClosedAsync(Patience);
        Assert.Empty(answered);
        string reason = await LoggedAsync(backup, logMark, "maxListBits");
        output.WriteLine($"{kind} declaring {Limit + 1} bits: {reason}");

        Assert.True(backup.IsRunning);
        Assert.Equal(100, await BackupLengthAsync(cluster));
        await client.AppendAsync(true).AsTask().WaitAsync(Patience);
        Assert.Equal(101, await BackupLengthAsync(cluster));
    }

    [Fact]
    public async Task AClientRefusesAReadAnswerPastItsOwnLimit()
    {
        await using FusionCluster cluster = await StartAsync();
        EndPoint primary = cluster.EndPointOf(cluster.Primaries[0].Id);
        using BitListClient writer = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
        ulong[] words = new ulong[Delta.WordsFor(Limit)];
        Array.Fill(words, ulong.MaxValue);
        await writer.AppendManyAsync(words, 5000).AsTask().WaitAsync(Patience);

        using BitListClient small = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 2, maxListBits: 4999);
        IOException e = await Assert.ThrowsAsync<IOException>(() => small.ReadAllAsync().WaitAsync(Patience));
        output.WriteLine($"ReadAll of 5000 bits by a client whose limit is 4999: {e.Message}");
        Assert.Contains("maxListBits", e.Message, StringComparison.Ordinal);
        Assert.Equal(5000, (await writer.ReadAllAsync().WaitAsync(Patience)).Length);
    }

    [Fact]
    public void AClusterFileWithALimitOutOfRangeIsRefusedWithAClearError()
    {
        foreach (long bad in new[] { 0L, -1L, Delta.MaxBits + 1 })
        {
            ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
            config.MaxListBits = bad;
            ConfigException e = Assert.Throws<ConfigException>(() => Cluster.FromConfig(config));
            Assert.Contains($"maxListBits = {bad}", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A load's first chunk (token 0) of a list of <paramref name="length"/> bits, as the primary would send it.</summary>
    private static byte[] SnapshotChunk(long length)
    {
        int total = Delta.WordsFor(length);
        byte[] frame = new byte[FusionWire.SnapshotHeadBytes + ChunkCodec.MaxEncodedBytes(1)];
        int head = FusionWire.WriteSnapshotHead(frame, 0, 1, 1, length, 0, 0);
        int chunk = ChunkCodec.Encode(total, 0, [0UL], frame.AsSpan(head));
        return frame[..(head + chunk)];
    }

    /// <summary>A delta that appends one bit at <paramref name="newLength"/> − 1.</summary>
    private static byte[] DeltaPast(long newLength)
    {
        byte[] frame = new byte[DeltaWire.HeadBytes + 8];
        ulong bit = 1UL << (int)((newLength - 1) & 63);
        DeltaWire.WriteHead(frame, 101, 0, new Delta(newLength, (int)((newLength - 1) >> 6), [bit]));
        BitConverter.TryWriteBytes(frame.AsSpan(DeltaWire.HeadBytes), bit);
        return frame;
    }

    private static async Task<long> BackupLengthAsync(FusionCluster cluster) =>
        (await BackupProbe.StatusAsync(cluster.EndPointOf(cluster.Backups[0].Id), cluster.Key, (ushort)cluster.Backups[0].Id, (ushort)cluster.Primaries[0].Id)).Primaries[0].Length;

    private static async Task<string> LoggedAsync(NodeProcess node, long mark, string text)
    {
        for (int i = 0; i < 200; i++)
        {
            if (node.Log.Since(mark).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line) return line;
            await Task.Delay(50);
        }
        Assert.Fail($"{node} logged nothing about {text}");
        return "";
    }

    private static async Task<FusionCluster> StartAsync()
    {
        ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
        config.MaxListBits = Limit;
        return await FusionCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path });
    }
}
