using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BitFusion.Harness;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 3's memory half and the transport's bounds, against real processes: what a peer sends, with or
/// without the key, costs a node no more than what it sent plus fixed caps, and one peer cannot stall the others.
/// </summary>
public sealed class ResourceBoundsTests(ITestOutputHelper output)
{
    private const long RssBudgetBytes = 64L << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task KeylessConnectionsDeclaringHugeFramesCostLittleMemoryWhileAClientIsServed()
    {
        await using FusionCluster cluster = await StartAsync(Frame.DefaultMaxFrameBytes);
        NodeProcess backup = cluster.Backups[0];
        EndPoint target = cluster.EndPointOf(backup.Id);
        using BitListClient honest = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[0].Id), cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
        for (int i = 0; i < 1000; i++) await honest.AppendAsync(true);
        long before = ResidentBytes(backup);

        // Each attacker declares the largest frame the node accepts after a handshake, then sends 1 MiB of it.
        byte[] attack = new byte[4 + (1 << 20)];
        BinaryPrimitives.WriteUInt32LittleEndian(attack, (uint)Frame.DefaultMaxFrameBytes);
        var attackers = new List<Socket>();
        long peak = before;
        int served = 0;
        try
        {
            for (int i = 0; i < 200 && peak - before < RssBudgetBytes; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                attackers.Add(socket);
                await socket.ConnectAsync(target);
                try
                {
                    await socket.SendAsync(attack);
                }
                catch (SocketException)
                {
                    // The node may close an unauthenticated connection before it has taken every byte.
                }
                peak = Math.Max(peak, ResidentBytes(backup));
                if (i % 10 == 9)
                {
                    await honest.AppendAsync(false).AsTask().WaitAsync(Patience);
                    served++;
                }
            }
            await Task.Delay(300);
            peak = Math.Max(peak, ResidentBytes(backup));
        }
        finally
        {
            foreach (Socket s in attackers) s.Dispose();
        }
        await Task.Delay(500);
        long after = ResidentBytes(backup);
        Assert.True(backup.IsRunning, "the backup died of the attack");
        Assert.Equal(1000 + served, await honest.CountAsync().AsTask().WaitAsync(Patience));
        NodeStats stats = await BackupProbe.StatsAsync(target, cluster.Key, (ushort)backup.Id);
        output.WriteLine($"{attackers.Count} keyless connections; backup VmRSS before {Mib(before)}, peak {Mib(peak)}, after close {Mib(after)}; " +
                         $"{served} appends served meanwhile; protocol errors {stats.ProtocolErrors}");
        Assert.True(peak - before < RssBudgetBytes, $"resident memory grew by {Mib(peak - before)} with {attackers.Count} keyless connections");
        Assert.True(after - before < RssBudgetBytes, $"resident memory stayed {Mib(after - before)} above its start after the connections closed");
        Assert.Equal(200, attackers.Count);
    }

    [Fact]
    public async Task FiveThousandAppendsInOneSendAreAllAnswered()
    {
        const int appends = 5000;
        await using FusionCluster cluster = await StartAsync(Frame.DefaultMaxFrameBytes);
        EndPoint primary = cluster.EndPointOf(cluster.Primaries[0].Id);
        using var timeout = new CancellationTokenSource(Patience);
        using Connection connection = await Dialer.ConnectAsync(primary, cluster.Key, new PeerIdentity(NodeRole.Client, 2), cluster.IdentityOf(cluster.Primaries[0].Id), Frame.DefaultMaxFrameBytes, timeout.Token);
        for (int i = 0; i < appends; i++)
        {
            ClientRequestCodec.Enqueue(connection, new ClientRequest
            {
                Type = MessageType.Append, RequestId = (ulong)i + 1, ClientId = 2, ClientSeq = (ulong)i + 1, Op = ListOp.Append, Bit = (i & 1) != 0,
            }, grouped: false);
        }
        connection.Flush();
        var answered = new bool[appends];
        int ok = 0;
        try
        {
            while (ok < appends)
            {
                Frame frame = await connection.ReadAsync(timeout.Token);
                Assert.False(frame.IsEnd, $"the primary closed the connection after answering {ok} of {appends} appends");
                Assert.Equal(MessageType.Ok, frame.Type);
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span);
                Assert.False(answered[id - 1], $"request {id} answered twice");
                answered[id - 1] = true;
                ok++;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{ok} of {appends} appends sent in one send were answered within {Patience.TotalSeconds:0} s");
        }
        finally
        {
            connection.ReleaseReceiveBuffer();
        }
        output.WriteLine($"{ok} of {appends} appends sent in one send answered");
        using BitListClient check = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 3);
        Assert.Equal(appends, await check.CountAsync());
    }

    [Fact]
    public async Task AClientThatStopsReadingIsDisconnectedAndOthersKeepBeingServed()
    {
        // A small send-queue cap, so the slow client passes it quickly.
        const int maxFrameBytes = 1 << 20;
        await using FusionCluster cluster = await StartAsync(maxFrameBytes, maxSendQueueBytes: 1 << 20);
        NodeProcess primaryNode = cluster.Primaries[0];
        EndPoint primary = cluster.EndPointOf(primaryNode.Id);
        using BitListClient honest = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1, maxFrameBytes: maxFrameBytes);
        ulong[] words = new ulong[(1 << 20) / 64];
        new Random(5).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        await honest.AppendManyAsync(words, 1 << 20);
        long logMark = primaryNode.Log.Total;

        // The slow client writes a stream of appends and whole-list reads and never reads a reply: about 6 MB of
        // Ok replies (answered by whichever thread carries the backup's acks, more than loopback's socket buffers
        // hold) and a few lists.
        using RawPeer slow = await RawPeer.ConnectAsync(primary, receiveBufferBytes: 16 << 10);
        await slow.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Client, 2), cluster.IdentityOf(cluster.Primaries[0].Id));
        const int slowAppends = 300_000, slowReads = 100;
        byte[] stream = new byte[slowAppends * (Frame.HeaderSize + AppendPayload) + slowReads * (Frame.HeaderSize + 8)];
        int at = 0;
        for (int i = 0; i < slowAppends; i++) at += PutAppend(stream.AsSpan(at), (ulong)i + 1, clientId: 2);
        for (int i = 0; i < slowReads; i++) at += PutFrame(stream.AsSpan(at), MessageType.ReadAll, (ulong)(slowAppends + i + 1), 8);
        Task flood = Task.Run(() =>
        {
            try
            {
                slow.Send(stream);
            }
            catch (SocketException)
            {
                // Disconnected as too slow while still sending: what the test expects.
            }
        });

        var stopwatch = Stopwatch.StartNew();
        int served = 0;
        while (!flood.IsCompleted || served < 500)
        {
            long before = served;
            try
            {
                await honest.AppendAsync(true).AsTask().WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"an honest client's append waited over {Patience.TotalSeconds:0} s while another client stopped reading ({before} served before)");
            }
            served++;
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(40)) break;
        }
        await flood.WaitAsync(Patience);
        string? slowReason = await WaitForLogAsync(primaryNode, logMark, "slow consumer");
        output.WriteLine($"honest appends served while the other client stopped reading: {served}; the primary said: {slowReason ?? "nothing about a slow consumer"}");
        Assert.NotNull(slowReason);
        Assert.True(honest.IsConnected);
    }

    [Fact]
    public async Task AnAppendManyJustOverTheLimitIsRefusedAndChangesNothing()
    {
        const int maxFrameBytes = 64 << 10;
        await using FusionCluster cluster = await StartAsync(maxFrameBytes);
        EndPoint primary = cluster.EndPointOf(cluster.Primaries[0].Id);
        EndPoint backup = cluster.EndPointOf(cluster.Backups[0].Id);
        using BitListClient client = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1, maxFrameBytes: maxFrameBytes);
        await client.AppendAsync(true);

        // The longest run whose request still fits one frame: its delta to the backup carries a word more.
        int requestWords = (maxFrameBytes - 1 - (8 + 8 + 8 + 1) - 4) / 8;
        int tooMany = requestWords * 64;
        ListLimits limits = ListLimits.For(maxFrameBytes);
        Assert.True(tooMany > limits.MaxAppendBits);
        ulong[] words = new ulong[requestWords];
        Array.Fill(words, 0xA5A5_A5A5_A5A5_A5A5UL);
        RemoteException refused = await Assert.ThrowsAsync<RemoteException>(() => client.AppendManyAsync(words, tooMany).AsTask().WaitAsync(Patience));
        output.WriteLine($"AppendMany of {tooMany} bits: {refused.Code}: {refused.Message}");
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Equal(1, await client.CountAsync());
        Assert.Equal(1, (await BackupProbe.StatusAsync(backup, cluster.Key, (ushort)cluster.Backups[0].Id, (ushort)cluster.Primaries[0].Id)).Primaries[0].Length);

        int fits = (int)Math.Min(limits.MaxAppendBits, limits.MaxListBits - 1);
        Assert.Equal(1 + fits, await client.AppendManyAsync(words, fits).AsTask().WaitAsync(Patience));
        Assert.Equal(1 + fits, (await BackupProbe.StatusAsync(backup, cluster.Key, (ushort)cluster.Backups[0].Id, (ushort)cluster.Primaries[0].Id)).Primaries[0].Length);
    }

    [Fact]
    public async Task WholeListReadsWaitingOnAPausedBackupAreBoundedAndShareOneCopy()
    {
        const int bits = 1 << 25, reads = 100;
        await using FusionCluster cluster = await StartAsync(Frame.DefaultMaxFrameBytes);
        NodeProcess primaryNode = cluster.Primaries[0], backup = cluster.Backups[0];
        EndPoint primary = cluster.EndPointOf(primaryNode.Id);
        using BitListClient writer = await BitListClient.ConnectAsync(primary, cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 1);
        ulong[] chunk = new ulong[(1 << 22) / 64];
        new Random(7).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chunk.AsSpan()));
        for (int filled = 0; filled < bits; filled += 1 << 22) await writer.AppendManyAsync(chunk, 1 << 22);

        // With the backup paused, a write stays unacknowledged, so every whole-list read after it must wait.
        using var timeout = new CancellationTokenSource(Patience);
        using Connection reader = await Dialer.ConnectAsync(primary, cluster.Key, new PeerIdentity(NodeRole.Client, 2), cluster.IdentityOf(cluster.Primaries[0].Id), Frame.DefaultMaxFrameBytes, timeout.Token);
        long before = ResidentBytes(primaryNode);
        backup.Suspend();
        ValueTask<long> pendingWrite = writer.AppendAsync(true);
        await Task.Delay(300);
        Span<byte> id = stackalloc byte[8];
        for (int i = 0; i < reads; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(id, (ulong)i + 1);
            reader.Enqueue(MessageType.ReadAll, id);
        }
        reader.Flush();
        await Task.Delay(1000);
        long waiting = ResidentBytes(primaryNode);
        // The reads must have found the write unacknowledged: answered at once instead, each would give its bulk-read
        // slot back as its reply is queued, and all of them would be answered with the whole list.
        Assert.False(pendingWrite.IsCompleted, "the write was acknowledged while its only backup was paused, so the reads did not wait");
        backup.Resume();
        Assert.Equal(bits + 1, await pendingWrite.AsTask().WaitAsync(Patience));

        int lists = 0, refused = 0;
        try
        {
            while (lists + refused < reads)
            {
                Frame frame = await reader.ReadAsync(timeout.Token);
                Assert.False(frame.IsEnd, $"the primary closed the reader after {lists} lists and {refused} refusals");
                if (frame.Type != MessageType.BitsChunk) refused++;
                else if (IsLastChunk(frame)) lists++;
            }
        }
        finally
        {
            reader.ReleaseReceiveBuffer();
        }
        output.WriteLine($"{reads} ReadAlls of a {bits >> 23} MiB list behind an unacknowledged write: {lists} answered with the list, {refused} refused; " +
                         $"primary VmRSS before {Mib(before)}, while they waited {Mib(waiting)}");
        Assert.True(waiting - before < RssBudgetBytes, $"{reads} waiting whole-list reads took {Mib(waiting - before)} of resident memory");
        Assert.Equal(Connection.MaxBulkReads, lists);
        Assert.Equal(reads - Connection.MaxBulkReads, refused);
    }

    /// <summary>A ReadAll answer arrives in chunks: the list is whole with its last.</summary>
    private static bool IsLastChunk(in Frame frame)
    {
        BitsChunkWire.Read(frame, ListLimits.MaxCount, out ChunkCodec.Chunk chunk);
        return chunk.Offset + chunk.Words == chunk.TotalWords;
    }

    private static async Task<FusionCluster> StartAsync(int maxFrameBytes, long? maxSendQueueBytes = null)
    {
        ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
        config.MaxFrameBytes = maxFrameBytes;
        config.MaxSendQueueBytes = maxSendQueueBytes;
        // These tests pause a backup to hold writes unacknowledged while they probe memory; a suspicion of the
        // paused backup would end that wait early (SuspectedBackupTests covers suspicion).
        config.SuspectAfterMs = 60_000;
        return await FusionCluster.StartAsync(config, new FusionClusterOptions { Binary = HostBinary.Path });
    }

    // An Append as ClientRequestCodec writes it: reqId u64 | clientId u64 | clientSeq u64 | resend bool | bit bool.
    private const int AppendPayload = 8 + 8 + 8 + 1 + 1;

    /// <summary>An Append of bit 0 whose request id is also its clientSeq; returns its length.</summary>
    private static int PutAppend(Span<byte> destination, ulong seq, ulong clientId)
    {
        int n = PutFrame(destination, MessageType.Append, seq, AppendPayload);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[(Frame.HeaderSize + 8)..], clientId);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[(Frame.HeaderSize + 16)..], seq);
        return n;
    }

    /// <summary>A request frame with a request id and zero padding to <paramref name="payload"/> bytes; returns its length.</summary>
    private static int PutFrame(Span<byte> destination, MessageType type, ulong id, int payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload + 1);
        destination[4] = (byte)type;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[Frame.HeaderSize..], id);
        destination.Slice(Frame.HeaderSize + 8, payload - 8).Clear();
        return Frame.HeaderSize + payload;
    }

    private static async Task<string?> WaitForLogAsync(NodeProcess node, long mark, string text)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (node.Log.Since(mark).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line) return line;
            await Task.Delay(100);
        }
        return null;
    }

    private static long ResidentBytes(NodeProcess node)
    {
        string line = File.ReadLines($"/proc/{node.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MiB";
}
