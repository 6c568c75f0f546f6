using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
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
    private ulong _nextId;

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
        Span<byte> head = stackalloc byte[12 + 4 + 1];
        int n = 12;
        MessageType type;
        ReadOnlySpan<byte> body = default;
        switch (op.Kind)
        {
            case OpKind.Append:
                type = MessageType.Append;
                head[n++] = op.Bit ? (byte)1 : (byte)0;
                break;
            case OpKind.AppendMany:
                type = MessageType.AppendMany;
                BinaryPrimitives.WriteInt32LittleEndian(head[n..], op.Index);
                n += 4;
                body = MemoryMarshal.AsBytes(op.Bits.AsSpan(0, Delta.WordsFor(op.Index)));
                break;
            case OpKind.Set or OpKind.Insert:
                type = op.Kind == OpKind.Set ? MessageType.Set : MessageType.Insert;
                BinaryPrimitives.WriteInt32LittleEndian(head[n..], op.Index);
                n += 4;
                head[n++] = op.Bit ? (byte)1 : (byte)0;
                break;
            default:
                type = op.Kind == OpKind.RemoveAt ? MessageType.RemoveAt : MessageType.SwapRemoveAt;
                BinaryPrimitives.WriteInt32LittleEndian(head[n..], op.Index);
                n += 4;
                break;
        }
        (MessageType reply, byte[] payload) = await RequestAsync(type, head[..n], body).ConfigureAwait(false);
        var r = new PayloadReader(payload);
        r.U64();
        if (reply != MessageType.Applied) throw new ProtocolException($"A write was answered with frame type {reply}.");
        var receipt = new WriteReceipt(r.I64(), r.I64());
        r.End();
        return receipt;
    }

    public async Task<BitsResult> ReadAllAsync()
    {
        (MessageType reply, byte[] payload) = await RequestAsync(MessageType.ReadAll, stackalloc byte[12], default).ConfigureAwait(false);
        if (reply != MessageType.Bits) throw new ProtocolException($"A read was answered with frame type {reply}.");
        return Bits(payload);
    }

    public static BitsResult Bits(byte[] payload)
    {
        var r = new PayloadReader(payload);
        r.U64();
        int length = r.Count("length", int.MaxValue - 64);
        long seq = r.I64();
        ulong[] pooled = BulkCodec.Read(ref r, Delta.WordsFor(length), int.MaxValue);
        r.End();
        ulong[] words = pooled.AsSpan(0, Delta.WordsFor(length)).ToArray();
        System.Buffers.ArrayPool<ulong>.Shared.Return(pooled);
        return new BitsResult(words, length, seq);
    }

    private Task<(MessageType, byte[])> RequestAsync(MessageType type, Span<byte> head, ReadOnlySpan<byte> body)
    {
        var reply = new TaskCompletionSource<(MessageType, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        ulong id;
        lock (_gate)
        {
            id = ++_nextId;
            _pending[id] = reply;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(head, id);
        BinaryPrimitives.WriteInt32LittleEndian(head[8..], _group);
        _connection.Send(type, head, body);
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
