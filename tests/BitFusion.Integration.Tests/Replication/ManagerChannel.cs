using System.Buffers.Binary;
using BitFusion.Core.Fusion.Roles;
using System.Net;
using BitFusion.Core.Bits;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>What a manager answered to a write: the count its replicas computed, and the write's position in its group's order.</summary>
internal readonly record struct WriteReceipt(long Value, long Position);

/// <summary>
/// A test client of one group through one manager that keeps what BitListClient drops: the position each
/// acknowledged write took in its group's total order (the Applied reply), which lets a test rebuild the order of
/// concurrent writers' writes. A lost connection fails every request in flight with an IOException.
/// </summary>
internal sealed class ManagerChannel : IFrameHandler, IDisposable
{
    private readonly Connection _connection;
    private readonly int _group;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<(MessageType Type, byte[] Payload)>> _pending = [];
    private readonly ulong _clientId = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
    private ulong _nextId;
    private ulong _seq;

    private ManagerChannel(Connection connection, int group)
    {
        _connection = connection;
        _group = group;
    }

    public bool IsConnected => !_connection.IsClosed;

    public static async Task<ManagerChannel> ConnectAsync(EndPoint manager, PeerIdentity managerId, ClusterKey key, ushort clientId, int group, CancellationToken cancellation)
    {
        Connection connection = await Dialer.ConnectAsync(manager, key, new PeerIdentity(NodeRole.Client, clientId), managerId,
            Frame.DefaultMaxFrameBytes, cancellation).ConfigureAwait(false);
        var channel = new ManagerChannel(connection, group);
        _ = FrameLoop.RunAsync(connection, channel, new NetCounters(), CancellationToken.None);
        return channel;
    }

    public async Task<WriteReceipt> WriteAsync(Operation op)
    {
        (MessageType type, ListOp kind) = op.Kind switch
        {
            OpKind.Append => (MessageType.Append, ListOp.Append),
            OpKind.AppendMany => (MessageType.AppendMany, ListOp.Append),
            OpKind.Set => (MessageType.Set, ListOp.Set),
            OpKind.Insert => (MessageType.Insert, ListOp.Insert),
            OpKind.RemoveAt => (MessageType.RemoveAt, ListOp.RemoveAt),
            _ => (MessageType.SwapRemoveAt, ListOp.SwapRemoveAt),
        };
        (MessageType reply, byte[] payload) = await RequestAsync(id => new ClientRequest
        {
            Type = type, RequestId = id, Group = _group, ClientId = _clientId, ClientSeq = ++_seq, Op = kind,
            Index = op.Kind == OpKind.AppendMany ? 0 : op.Index, Bit = op.Bit,
            Bits = op.Kind == OpKind.AppendMany ? op.Index : 0,
            Packed = op.Kind == OpKind.AppendMany ? op.Bits.AsSpan(0, Delta.WordsFor(op.Index)) : default,
        }).ConfigureAwait(false);
        var r = new PayloadReader(payload);
        r.U64();
        if (reply != MessageType.Applied) throw new ProtocolException($"A write was answered with frame type {reply}.");
        var receipt = new WriteReceipt(r.I64(), r.I64());
        r.End();
        return receipt;
    }

    public async Task<BitsResult> ReadAllAsync()
    {
        (MessageType reply, byte[] payload) = await RequestAsync(id => new ClientRequest { Type = MessageType.ReadAll, RequestId = id, Group = _group }).ConfigureAwait(false);
        if (reply != MessageType.Bits) throw new ProtocolException($"A read was answered with frame type {reply}.");
        return Bits(payload);
    }

    public static BitsResult Bits(byte[] payload)
    {
        var r = new PayloadReader(payload);
        r.U64();
        long length = r.Length("length", ListLimits.MaxCount);
        long seq = r.I64();
        ulong[] pooled = BulkCodec.Read(ref r, Delta.WordsFor(length), int.MaxValue);
        r.End();
        ulong[] words = pooled.AsSpan(0, Delta.WordsFor(length)).ToArray();
        System.Buffers.ArrayPool<ulong>.Shared.Return(pooled);
        return new BitsResult(words, length, seq);
    }

    private delegate ClientRequest RequestOf(ulong id);

    private Task<(MessageType, byte[])> RequestAsync(RequestOf request)
    {
        var reply = new TaskCompletionSource<(MessageType, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ulong id = ++_nextId;
            _pending[id] = reply;
            ClientRequestCodec.Enqueue(_connection, request(id), grouped: true);
        }
        _connection.Flush();
        if (_connection.IsClosed) FailAll(new IOException($"connection to {_connection.Name} is closed"));
        return reply.Task;
    }

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        if (frame.Payload.Length < 8) throw new ProtocolException($"Reply type {(byte)frame.Type} has no request id.");
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload.Span);
        TaskCompletionSource<(MessageType, byte[])>? reply;
        lock (_gate)
            if (!_pending.Remove(id, out reply)) throw new ProtocolException($"Reply to unknown request {id}.");
        if (frame.Type == MessageType.Error)
        {
            (_, ErrorCode code, string message) = Replies.ReadError(frame.Payload.Span);
            reply.TrySetException(new RemoteException(code, message));
        }
        else reply.TrySetResult((frame.Type, frame.Payload.ToArray()));
    }

    public void OnClose(Connection connection) => FailAll(new IOException($"connection to {connection.Name} closed: {connection.CloseReason}"));

    private void FailAll(Exception error)
    {
        TaskCompletionSource<(MessageType, byte[])>[] all;
        lock (_gate)
        {
            all = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var r in all) r.TrySetException(error);
    }

    public void Dispose() => _connection.Close("test client closed");
}
