using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A bare client connection that sends exactly the requests a test builds (any client id, seq and resend flag) and
/// hands back each raw reply, so tests can play a client that lost its connection and retries.
/// </summary>
internal sealed class RequestChannel : IFrameHandler, IDisposable
{
    private readonly Connection _connection;
    private readonly bool _grouped;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<(MessageType Type, byte[] Payload)>> _pending = [];
    private ulong _nextId;

    private RequestChannel(Connection connection, bool grouped)
    {
        _connection = connection;
        _grouped = grouped;
    }

    public static async Task<RequestChannel> ConnectAsync(EndPoint server, ClusterKey key, PeerIdentity role, CancellationToken cancellation = default)
    {
        Connection connection = await Dialer.ConnectWithRetryAsync(server, key, new PeerIdentity(NodeRole.Client, 31), role,
            Frame.DefaultMaxFrameBytes, cancellation);
        var channel = new RequestChannel(connection, role.Role == NodeRole.Manager);
        _ = FrameLoop.RunAsync(connection, channel, new NetCounters(), CancellationToken.None);
        return channel;
    }

    /// <summary>Sends the request under a fresh request id; the task ends with the reply's type and payload (request id included).</summary>
    public Task<(MessageType Type, byte[] Payload)> Send(in ClientRequest request)
    {
        var reply = new TaskCompletionSource<(MessageType, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ulong id = ++_nextId;
            _pending[id] = reply;
            ClientRequestCodec.Enqueue(_connection, request with { RequestId = id }, _grouped);
        }
        _connection.Flush();
        return reply.Task;
    }

    /// <summary>An append of <paramref name="bit"/> as write <paramref name="seq"/> of <paramref name="client"/>.</summary>
    public Task<(MessageType Type, byte[] Payload)> Append(ulong client, ulong seq, bool resend, bool bit = true) =>
        Send(new ClientRequest { Type = MessageType.Append, ClientId = client, ClientSeq = seq, Resend = resend, Bit = bit });

    public async Task<long> CountAsync()
    {
        (MessageType type, byte[] payload) = await Send(new ClientRequest { Type = MessageType.Count });
        return Value(type, payload);
    }

    public static long Value((MessageType Type, byte[] Payload) reply) => Value(reply.Type, reply.Payload);

    public static ErrorCode Error((MessageType Type, byte[] Payload) reply) => Error(reply.Type, reply.Payload);

    /// <summary>The value of an Ok or Applied reply; anything else fails the test with what it was.</summary>
    public static long Value(MessageType type, byte[] payload)
    {
        if (type == MessageType.Error)
        {
            (_, ErrorCode code, string message) = Replies.ReadError(payload);
            throw new Xunit.Sdk.XunitException($"expected a value, got Error({code}): {message}");
        }
        Assert.True(type is MessageType.Ok or MessageType.Applied, $"expected Ok or Applied, got {type}");
        return BitConverter.ToInt64(payload, 8);
    }

    public static ErrorCode Error(MessageType type, byte[] payload)
    {
        Assert.True(type == MessageType.Error, $"expected an Error, got {type}");
        return Replies.ReadError(payload).Code;
    }

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        ulong id = BitConverter.ToUInt64(frame.Payload.Span);
        TaskCompletionSource<(MessageType, byte[])>? reply;
        lock (_gate)
            if (!_pending.Remove(id, out reply)) throw new ProtocolException($"Reply to unknown request {id}.");
        reply.TrySetResult((frame.Type, frame.Payload.ToArray()));
    }

    public void OnClose(Connection connection)
    {
        TaskCompletionSource<(MessageType, byte[])>[] all;
        lock (_gate)
        {
            all = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var r in all) r.TrySetException(new IOException($"connection closed: {connection.CloseReason}"));
    }

    public void Dispose() => _connection.Close("test channel closed");
}
