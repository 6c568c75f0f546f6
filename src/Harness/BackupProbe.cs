using BitFusion.Net.Wire;
using System.Buffers.Binary;
using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Harness;

/// <summary>
/// Asks a backup about itself over the protocol. A backup re-encoded after a restart is useless for recovery until
/// it holds every primary again, and only the Status reply says so; Status is a recovery request, so the probe
/// authenticates as a primary (any primary id of the cluster). It sends nothing else, so the backup's view of that
/// primary does not change. Stats is open to clients.
/// </summary>
internal static class BackupProbe
{
    public static async Task<BackupReport> StatusAsync(EndPoint backup, ClusterKey key, ushort backupId, ushort anyPrimaryId, CancellationToken cancellation = default)
    {
        using Connection connection = await DialAsync(backup, key, backupId, anyPrimaryId, cancellation).ConfigureAwait(false);
        return await AskStatusAsync(connection, backup, 1, cancellation).ConfigureAwait(false);
    }

    private static Task<Connection> DialAsync(EndPoint backup, ClusterKey key, ushort backupId, ushort anyPrimaryId, CancellationToken cancellation) =>
        Dialer.ConnectAsync(backup, key, new PeerIdentity(NodeRole.Primary, anyPrimaryId), new PeerIdentity(NodeRole.Backup, backupId), Frame.DefaultMaxFrameBytes, cancellation);

    private static async Task<BackupReport> AskStatusAsync(Connection connection, EndPoint backup, ulong requestId, CancellationToken cancellation)
    {
        byte[] payload = await AskAsync(connection, backup, requestId, MessageType.Status, MessageType.StatusReply, cancellation).ConfigureAwait(false);
        var r = new PayloadReader(payload);
        r.U64();
        r.I32();
        bool complete = r.Bool();
        int n = r.Count("primaries", 256);
        var views = new BackupReport.PrimaryView[n];
        for (int p = 0; p < n; p++)
        {
            Core.Fusion.Roles.PrimaryView v = FusionWire.ReadView(ref r, ListLimits.MaxCount);
            views[p] = new BackupReport.PrimaryView(v.Seq, v.Length, v.Serving, v.Loaded);
        }
        r.End();
        return new BackupReport(complete, views);
    }

    /// <summary>The backup's fused words and fused length (a client's ReadAll).</summary>
    public static async Task<(ulong[] Words, long Length)> FusedAsync(EndPoint backup, ClusterKey key, ushort backupId, CancellationToken cancellation = default)
    {
        using Connection connection = await Dialer.ConnectAsync(backup, key, new PeerIdentity(NodeRole.Client, 0), new PeerIdentity(NodeRole.Backup, backupId),
            Frame.DefaultMaxFrameBytes, cancellation).ConfigureAwait(false);
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(id, 1);
        connection.Send(MessageType.ReadAll, id);
        InboundList? list = null;
        while (true)
        {
            Frame frame = await connection.ReadAsync(cancellation).ConfigureAwait(false);
            if (frame.IsEnd) throw new IOException($"backup at {backup} closed the connection instead of answering ReadAll: {connection.CloseReason}");
            if (frame.Type != MessageType.BitsChunk) throw new ProtocolException($"backup at {backup} answered ReadAll with frame type {frame.Type}, not BitsChunk.");
            long length = Take(frame, ref list);
            if (list!.Complete) return (list.Words, length);
        }
    }

    private static long Take(in Frame frame, ref InboundList? list)
    {
        (ulong requestId, long length, _) = BitsChunkWire.Read(frame, ListLimits.MaxCount, out ChunkCodec.Chunk chunk);
        list = InboundList.For(list, requestId, chunk);
        list.Accept(chunk);
        return length;
    }

    public static Task<NodeStats> StatsAsync(EndPoint backup, ClusterKey key, ushort backupId, CancellationToken cancellation = default) =>
        NodeProbe.StatsAsync(backup, key, new PeerIdentity(NodeRole.Backup, backupId), cancellation);

    /// <summary>
    /// Polls Status until the backup holds every primary, every <paramref name="poll"/> (default 20 ms), over one
    /// connection that is dialed again only when it fails: an authenticated handshake per poll would cost the backup
    /// being watched more than the question does.
    /// </summary>
    public static async Task WaitCompleteAsync(EndPoint backup, ClusterKey key, ushort backupId, ushort anyPrimaryId, TimeSpan timeout, CancellationToken cancellation = default,
        TimeSpan? poll = null)
    {
        TimeSpan interval = poll ?? TimeSpan.FromMilliseconds(20);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        string last = "no answer yet";
        Connection? connection = null;
        ulong requestId = 0;
        try
        {
            while (true)
            {
                try
                {
                    connection ??= await DialAsync(backup, key, backupId, anyPrimaryId, deadline.Token).ConfigureAwait(false);
                    if ((await AskStatusAsync(connection, backup, ++requestId, deadline.Token).ConfigureAwait(false)).Complete) return;
                    last = "it does not hold every primary yet";
                }
                catch (Exception e) when (e is IOException or ProtocolException or System.Net.Sockets.SocketException)
                {
                    last = e.Message;
                    connection?.Dispose();
                    connection = null;
                }
                await Task.Delay(interval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"backup at {backup} did not become complete within {timeout.TotalSeconds:0.#} s: {last}");
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private static async Task<byte[]> AskAsync(Connection connection, EndPoint backup, ulong requestId, MessageType request, MessageType reply, CancellationToken cancellation)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(id, requestId);
        connection.Send(request, id);
        Frame frame = await connection.ReadAsync(cancellation).ConfigureAwait(false);
        if (frame.IsEnd) throw new IOException($"backup at {backup} closed the connection instead of answering {request}: {connection.CloseReason}");
        if (frame.Type != reply) throw new ProtocolException($"backup at {backup} answered {request} with frame type {frame.Type}, not {reply}.");
        return frame.Payload.ToArray();
    }
}
