using System.Buffers.Binary;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A surviving primary keeps acknowledging writes while its snapshot for a residual cut is on the wire: a write
/// issued once the snapshot has started completes before half of what was left of it is sent. Before the snapshot let
/// later frames pass its chunks, the write's delta queued behind the whole list (32 MiB here; in the 10^9-bit
/// benchmark, seconds of it) and the write completed only after every chunk had gone.
/// </summary>
public sealed class SurvivorWriteDuringChunkedCutTests(ITestOutputHelper output)
{
    private const int ListBits = 1 << 28;
    private const long ListBytes = ListBits / 8;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_survivors_write_completes_while_its_cut_snapshot_streams()
    {
        int seed = TestSeed.Next();
        output.WriteLine(TestSeed.Describe(seed));
        ClusterConfig layout = ClusterLayout.Build(primaries: 2, faults: 1, groups: 0, managers: 0, "127.0.0.1", basePort: 0);
        // The stand-in recoverer below sends no heartbeats: under load a 32 MiB cut outlasts the default 1.5 s, and the
        // backup would drop it as silent before the residual is sent.
        layout.SuspectAfterMs = (int)Patience.TotalMilliseconds;
        Cluster cluster = Cluster.Parse(ClusterLayout.ToJson(layout));
        using var cancel = new CancellationTokenSource(Patience);
        using var backup = new BackupServer(cluster, cluster.Backups[0].Id);
        backup.Start();
        int survivorId = cluster.Primaries[0].Id, lostId = cluster.Primaries[1].Id;
        using PrimaryNode survivor = await PrimaryNode.StartAsync(cluster, survivorId, cancellation: cancel.Token);
        using (PrimaryNode lost = await PrimaryNode.StartAsync(cluster, lostId, cancellation: cancel.Token))
            await lost.List.AppendAsync(true);

        var rng = new Random(seed);
        var words = new ulong[ListBits / 64];
        for (int i = 0; i < words.Length; i++) words[i] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63);
        using (BitListClient client = await BitListClient.ConnectAsync(ClientFile.From(cluster), survivorId, timeout: Patience, cancellation: cancel.Token))
            Assert.Equal(ListBits, await client.AppendManyAsync(words, ListBits));

        // Primary 1 is gone; a stand-in for its restarted process asks the backup for the residual of the lost set {1},
        // and the backup asks the survivor for its snapshot.
        using Connection recoverer = await Dialer.ConnectAsync(backup.EndPoint, cluster.Key, new PeerIdentity(NodeRole.Primary, (ushort)lostId),
            new PeerIdentity(NodeRole.Backup, (ushort)cluster.Backups[0].Id), Frame.DefaultMaxFrameBytes, cancel.Token);
        Span<byte> attach = stackalloc byte[FusionWire.AttachBytes];
        recoverer.Send(MessageType.Attach, attach[..FusionWire.WriteAttach(attach, 0, 0, 0, recovering: true)]);
        Assert.Equal(MessageType.Attached, (await recoverer.ReadAsync(cancel.Token)).Type);
        long before = survivor.List.BackupWireBytes;
        Span<byte> request = stackalloc byte[FusionWire.ResidualRequestBytes(1)];
        recoverer.Send(MessageType.ResidualRequest, request[..FusionWire.WriteResidualRequest(request, 7, [1])]);
        Task<MessageType> residual = ReadTypeAsync(recoverer, cancel.Token);

        while (survivor.List.BackupWireBytes - before < 2 << 20)
        {
            Assert.False(residual.IsCompleted, "the cut ended before the survivor's snapshot was under way");
            await Task.Delay(1, cancel.Token);
        }
        long issued = survivor.List.BackupWireBytes - before;
        await survivor.List.SetAsync(0, !Bit(words, 0)).AsTask().WaitAsync(cancel.Token);
        long done = survivor.List.BackupWireBytes - before;
        output.WriteLine($"the write was issued with {issued >> 10} KiB of the {ListBytes >> 20} MiB snapshot sent and completed with {done >> 10} KiB sent");
        // Judged against what was left to send when the write was issued: on a loaded machine the poll above may see the
        // snapshot well past 2 MiB, and queued behind it the write would complete only once all that was left had gone.
        Assert.True(issued < ListBytes / 2, $"the snapshot was {issued >> 10} KiB of {ListBytes >> 10} KiB along before the write could be issued");
        Assert.True(done - issued < (ListBytes - issued) / 2,
            $"the survivor's write waited for its snapshot: issued with {issued >> 10} KiB sent, it completed only once {done >> 10} KiB of {ListBytes >> 10} KiB had gone");

        // The cut still completes: the backup folded the snapshot in around the delta it applied meanwhile.
        Assert.Equal(MessageType.Residual, await residual.WaitAsync(cancel.Token));
    }

    private static bool Bit(ulong[] words, int i) => (words[i >> 6] >> (i & 63) & 1) != 0;

    private static async Task<MessageType> ReadTypeAsync(Connection connection, CancellationToken cancellation)
    {
        Frame frame = await connection.ReadAsync(cancellation);
        return frame.IsEnd ? default : frame.Type;
    }
}
