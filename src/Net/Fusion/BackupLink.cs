using System.Buffers.Binary;
using System.Collections.Concurrent;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A primary's connection to one backup: dials (and redials) it, attaches, carries the delta stream and the
/// snapshots, and matches recovery requests to their replies. Its fields are guarded by the owner's lock.
/// </summary>
internal sealed class BackupLink(FusedBitList owner, int index, NodeConfig node) : IFrameHandler
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Reply>> _requests = new();

    public int Index { get; } = index;
    public NodeConfig Node { get; } = node;
    public Connection? Connection;

    /// <summary>The backup answered Attach; its view of this primary follows.</summary>
    public bool Attached;
    public long BackupSeq;
    public bool BackupLoaded;

    /// <summary>
    /// The last attempt to reach the backup failed (refused, reset, no handshake in time): it may be down. Until
    /// then a backup that is merely slow to answer counts as up, and a recovery waits for it.
    /// </summary>
    public volatile bool Unreachable;

    /// <summary>Deltas go to this backup, and operations wait for its acknowledgement.</summary>
    public bool Streaming;
    public long Acked;

    private void MarkUnreachable()
    {
        if (Unreachable) return;
        Unreachable = true;
        owner.SignalLinkChange();
    }

    public async Task RunAsync(CancellationToken cancellation)
    {
        EndPointText = $"{Node.Host}:{Node.Port}";
        while (!cancellation.IsCancellationRequested)
        {
            Connection connection;
            try
            {
                connection = await Dialer.ConnectWithRetryAsync(Cluster.EndPointOf(Node), owner.Cluster.Key,
                    new PeerIdentity(NodeRole.Primary, owner.NodeId), Cluster.IdentityOf(Node), owner.Cluster.Config.MaxFrameBytes, cancellation,
                    _ => MarkUnreachable()).ConfigureAwait(false);
                Unreachable = false;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HandshakeRejectedException e)
            {
                MarkUnreachable();
                Log.Warn($"backup {Index} at {EndPointText} rejected this primary: {e.Message}");
                await Task.Delay(1000, cancellation).ConfigureAwait(false);
                continue;
            }
            await FrameLoop.RunAsync(connection, this, owner.Counters, cancellation, owner.Cluster.Config.HeartbeatMs).ConfigureAwait(false);
        }
    }

    public string EndPointText { get; private set; } = "";

    public async Task<Reply> RequestAsync(MessageType type, ReadOnlyMemory<byte> body, CancellationToken cancellation)
    {
        Connection? connection = Connection;
        if (connection is null || connection.IsClosed) throw new IOException($"backup {Index} is not connected");
        ulong id = owner.NextRequestId();
        var pending = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[id] = pending;
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(head, id);
        connection.Send(type, head, body.Span);
        using CancellationTokenRegistration _ = cancellation.Register(() => pending.TrySetCanceled());
        if (connection.IsClosed) Fail(new IOException($"backup {Index} disconnected"));
        return await pending.Task.ConfigureAwait(false);
    }

    public void OnOpen(Connection connection)
    {
        lock (owner.Gate)
        {
            Connection = connection;
            Attached = false;
            Streaming = false;
        }
        Span<byte> attach = stackalloc byte[13];
        var w = new PayloadWriter(attach);
        lock (owner.Gate)
        {
            w.I64(owner.SeqLocked);
            w.I32(owner.CountLocked);
            w.Bool(!owner.ServingLocked);
        }
        connection.Send(MessageType.Attach, attach);
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.Attached:
            {
                var r = frame.Reader();
                long seq = r.I64();
                int length = r.Count("length", int.MaxValue);
                bool loaded = r.Bool();
                r.Bool();
                r.End();
                owner.OnAttached(this, seq, length, loaded);
                break;
            }
            case MessageType.Ack:
            {
                var r = frame.Reader();
                long seq = r.I64();
                r.End();
                owner.OnAck(this, seq);
                break;
            }
            case MessageType.SnapshotRequest:
            {
                var r = frame.Reader();
                ulong token = r.U64();
                r.End();
                if (token == 0) throw new ProtocolException("Snapshot token 0 is reserved for full loads.");
                owner.OnSnapshotRequest(this, token);
                break;
            }
            case MessageType.StatusReply or MessageType.Retained or MessageType.Residual or MessageType.Ok or MessageType.Error:
            {
                if (frame.Payload.Length < 8) throw new ProtocolException($"Reply type {(byte)frame.Type} has no request id.");
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span);
                if (!_requests.TryRemove(id, out TaskCompletionSource<Reply>? pending))
                    throw new ProtocolException($"Reply to unknown request {id}.");
                pending.TrySetResult(new Reply(frame.Type, frame.Payload.ToArray()));
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a backup.");
        }
    }

    public void OnClose(Connection connection)
    {
        owner.OnLinkClosed(this, connection);
        Fail(new IOException($"backup {Index} disconnected: {connection.CloseReason}"));
    }

    private void Fail(Exception error)
    {
        foreach (ulong id in _requests.Keys)
            if (_requests.TryRemove(id, out TaskCompletionSource<Reply>? pending)) pending.TrySetException(error);
    }
}
