using System.Collections.Concurrent;
using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Frames a dialer queues behind its Hello (a fusion primary's Attach): an admitted dialer's reach the server's
/// handler with the handshake's own round trip, a refused dialer's are never handled.
/// </summary>
public sealed class PipelinedHelloTests
{
    private static readonly PeerIdentity Server = new(NodeRole.Backup, 1), Dialing = new(NodeRole.Primary, 2);

    [Fact]
    public async Task AnAdmittedDialersPipelinedFrameReachesTheHandlerAndItsAnswerFollowsTheWelcome()
    {
        ClusterKey key = ClusterKey.Generate();
        var handler = new EchoHandler();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, Server, _ => true, handler, Frame.DefaultMaxFrameBytes);
        server.Start();
        using Connection connection = await Dialer.ConnectAsync(server.LocalEndPoint, key, Dialing, Server, Frame.DefaultMaxFrameBytes, CancellationToken.None,
            pipelined: c => c.Enqueue(MessageType.Attach, [7]));

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Frame echo = await connection.ReadAsync(deadline.Token);
        Assert.Equal(MessageType.Attached, echo.Type);
        Assert.Equal([(byte)7], echo.Payload.ToArray());
        Assert.Equal([MessageType.Attach], handler.Seen);
    }

    [Fact]
    public async Task AWrongKeysPipelinedFrameIsNeverHandled()
    {
        var handler = new EchoHandler();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), ClusterKey.Generate(), Server, _ => true, handler, Frame.DefaultMaxFrameBytes);
        server.Start();
        HandshakeRejectedException e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => Dialer.ConnectAsync(server.LocalEndPoint, ClusterKey.Generate(),
            Dialing, Server, Frame.DefaultMaxFrameBytes, CancellationToken.None, pipelined: c => c.Enqueue(MessageType.Attach, [7])));
        Assert.Equal(RejectCode.BadKey, e.Code);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (server.Counters.Rejected == 0 && !deadline.IsCancellationRequested) await Task.Delay(5);
        Assert.Equal(1, server.Counters.Rejected);
        Assert.Empty(handler.Seen);
        Assert.Equal(0, handler.Opened);
    }

    /// <summary>Answers each frame with an <see cref="MessageType.Attached"/> carrying the same payload.</summary>
    private sealed class EchoHandler : IFrameHandler
    {
        private int _opened;

        public ConcurrentQueue<MessageType> Seen { get; } = new();

        public int Opened => Volatile.Read(ref _opened);

        public void OnOpen(Connection connection) => Interlocked.Increment(ref _opened);

        public void OnFrame(Connection connection, in Frame frame)
        {
            Seen.Enqueue(frame.Type);
            connection.Send(MessageType.Attached, frame.Payload.Span);
        }

        public void OnClose(Connection connection)
        {
        }
    }
}
