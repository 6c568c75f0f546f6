using System.Net;
using System.Net.Sockets;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>The client-request codec both servers use: every request survives a trip over a socket, and malformed heads are protocol errors.</summary>
public sealed class ClientRequestCodecTests : IDisposable
{
    private const int MaxBits = 1 << 20;
    private readonly Connection _sender, _receiver;

    public ClientRequestCodecTests()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var dial = new Socket(SocketType.Stream, ProtocolType.Tcp);
        dial.Connect(listener.LocalEndPoint!);
        _sender = new Connection(dial, "sender");
        _receiver = new Connection(listener.Accept(), "receiver");
    }

    public static IEnumerable<object[]> Requests() =>
        from grouped in new[] { false, true }
        from type in new[]
        {
            MessageType.Append, MessageType.Set, MessageType.Insert, MessageType.RemoveAt, MessageType.SwapRemoveAt, MessageType.AppendMany,
            MessageType.Get, MessageType.Count, MessageType.ReadAll, MessageType.Stats, MessageType.Samples, MessageType.RejoinTimes,
        }
        select new object[] { type, grouped };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task EveryRequestRoundTrips(object boxed, bool grouped)
    {
        // An object, not the enum: the library keeps the enum internal, and a test method must stay public.
        var type = (MessageType)boxed;
        ulong[] run = [0xDEADBEEFCAFEF00D, 0x5];
        bool write = ClientRequestCodec.IsWrite(type);
        ClientRequestCodec.Enqueue(_sender, new ClientRequest
        {
            Type = type, RequestId = 0x0102030405060708, Group = 3, ClientId = write ? 0xA1B2C3D4E5F60718 : 0UL, ClientSeq = write ? 77UL : 0UL,
            Resend = write, Index = 10_000_000_041, Bit = true, Bits = type == MessageType.AppendMany ? 67 : 0, Packed = run,
        }, grouped);
        _sender.Flush();
        Frame frame = await _receiver.ReadAsync();
        ClientRequest got = ClientRequestCodec.Read(frame, grouped, MaxBits);
        Assert.Equal(type, got.Type);
        Assert.Equal(0x0102030405060708UL, got.RequestId);
        Assert.Equal(grouped ? 3 : -1, got.Group);
        Assert.Equal(write, got.IsWrite);
        Assert.Equal(write ? 0xA1B2C3D4E5F60718 : 0UL, got.ClientId);
        Assert.Equal(write ? 77UL : 0, got.ClientSeq);
        Assert.Equal(write, got.Resend);
        Assert.Equal(type is MessageType.Set or MessageType.Insert or MessageType.RemoveAt or MessageType.SwapRemoveAt or MessageType.Get ? 10_000_000_041L : 0L, got.Index);
        Assert.Equal(type is MessageType.Append or MessageType.Set or MessageType.Insert, got.Bit);
        Assert.Equal(type switch
        {
            MessageType.Set => ListOp.Set,
            MessageType.Insert => ListOp.Insert,
            MessageType.RemoveAt => ListOp.RemoveAt,
            MessageType.SwapRemoveAt => ListOp.SwapRemoveAt,
            _ => ListOp.Append,
        }, got.Op);
        if (type == MessageType.AppendMany)
        {
            Assert.Equal(67, got.Bits);
            Assert.Equal(run, got.Packed.ToArray());
        }
        else Assert.Equal(0, got.Bits);
    }

    public static IEnumerable<object[]> Malformed() =>
    [
        ["client id 0", MessageType.Append, Head(0, 1, 0, 1)],
        ["client seq 0", MessageType.Append, Head(9, 0, 0, 1)],
        ["resend flag of 2", MessageType.Append, Head(9, 1, 2, 1)],
        ["a bit of 5", MessageType.Append, Head(9, 1, 0, 5)],
        ["no bit", MessageType.Append, Head(9, 1, 0)],
        ["no client seq", MessageType.Set, new byte[8 + 8 + 4]],
        ["trailing bytes", MessageType.RemoveAt, Head(9, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9)],
        ["negative run", MessageType.AppendMany, Head(9, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF)],
        ["run longer than its words", MessageType.AppendMany, Head(9, 1, 0, 65, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)],
        ["run over the limit", MessageType.AppendMany, Head(9, 1, 0, 1, 0, 0x20, 0)],
        ["a count with a body", MessageType.Count, new byte[9]],
        ["a backup's message", MessageType.Delta, new byte[48]],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedRequestsAreProtocolErrors(string what, object type, byte[] payload)
    {
        var frame = new Frame((MessageType)type, payload);
        Assert.True(Assert.Throws<ProtocolException>(() => ClientRequestCodec.Read(frame, grouped: false, MaxBits)).Message.Length > 0, what);
    }

    /// <summary>An ungrouped write head (reqId 1, the given client id and seq, resend flag) followed by <paramref name="rest"/>.</summary>
    private static byte[] Head(ulong clientId, ulong seq, byte resend, params byte[] rest)
    {
        byte[] head = new byte[8 + 17 + rest.Length];
        head[0] = 1;
        BitConverter.TryWriteBytes(head.AsSpan(8), clientId);
        BitConverter.TryWriteBytes(head.AsSpan(16), seq);
        head[24] = resend;
        rest.CopyTo(head, 25);
        return head;
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }
}
