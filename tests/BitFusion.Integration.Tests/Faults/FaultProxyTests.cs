using System.Net;
using System.Net.Sockets;
using BitFusion.Harness.Faults;

namespace BitFusion.Integration.Tests.Faults;

/// <summary>The fault proxy itself, between a plain socket and an echo server: it forwards, drops, delays in order, blackholes one way without losing a byte, and cuts.</summary>
public sealed class FaultProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly EchoServer _echo = new();
    private FaultProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = new FaultProxy(_echo.EndPoint, "test → echo");
        _proxy.Start();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ForwardsBothWaysAndDropClosesBothEnds()
    {
        using Socket client = await ConnectAsync();
        await SendAsync(client, new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReceiveAsync(client, 3));
        Assert.Equal(1, _proxy.Live);
        _proxy.Drop();
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Patience));
        await _echo.AllClosed.WaitAsync(Patience);
        Assert.Equal(1, _proxy.Dropped);
    }

    [Fact]
    public async Task DelayedBytesKeepTheirOrder()
    {
        _proxy.Delay = TimeSpan.FromMilliseconds(30);
        using Socket client = await ConnectAsync();
        byte[] sent = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        for (int i = 0; i < sent.Length; i += 10)
        {
            await SendAsync(client, sent.AsMemory(i, 10));
            await Task.Delay(Random.Shared.Next(0, 3));
        }
        Assert.Equal(sent, await ReceiveAsync(client, sent.Length));
    }

    [Fact]
    public async Task ABlackholedDirectionPassesNothingAndLosesNothing()
    {
        using Socket client = await ConnectAsync();
        _proxy.Blackhole(Direction.ToListener);
        await SendAsync(client, new byte[] { 7, 8, 9 });
        await Task.Delay(300);
        Assert.Equal(0, _echo.BytesReceived);
        _proxy.Blackhole(Direction.ToListener, on: false);
        Assert.Equal(new byte[] { 7, 8, 9 }, await ReceiveAsync(client, 3));

        _proxy.Blackhole(Direction.ToDialer);
        await SendAsync(client, new byte[] { 4, 5 });
        await _echo.Received(5).WaitAsync(Patience);
        Task<int> early = client.ReceiveAsync(new byte[2], SocketFlags.None);
        await Task.Delay(300);
        Assert.False(early.IsCompleted, "an echo crossed the blackholed direction");
        _proxy.Blackhole(Direction.ToDialer, on: false);
        Assert.True(await early.WaitAsync(Patience) > 0);
    }

    [Fact]
    public async Task ACutLinkRefusesUntilHealed()
    {
        using Socket before = await ConnectAsync();
        _proxy.Cut();
        Assert.Equal(0, await before.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Patience));
        using (Socket during = await ConnectAsync())
        {
            Assert.Equal(0, await ReceiveEndAsync(during));
        }
        _proxy.Heal();
        using Socket after = await ConnectAsync();
        await SendAsync(after, new byte[] { 42 });
        Assert.Equal(new byte[] { 42 }, await ReceiveAsync(after, 1));
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_proxy.EndPoint);
        return socket;
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        for (int sent = 0; sent < bytes.Length;) sent += await socket.SendAsync(bytes[sent..], SocketFlags.None);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Patience);
            Assert.True(n > 0, $"the connection closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    /// <summary>0 once the proxy closes the connection (a reset counts as closed too).</summary>
    private static async Task<int> ReceiveEndAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Patience);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _echo.Dispose();
    }

    /// <summary>Echoes every byte back on each accepted connection, counting what it received.</summary>
    private sealed class EchoServer : IDisposable
    {
        private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Task> _connections = [];
        private long _received;

        public EchoServer()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(8);
            _ = AcceptAsync();
        }

        public EndPoint EndPoint => _listener.LocalEndPoint!;

        public long BytesReceived => Interlocked.Read(ref _received);

        /// <summary>Completes once every connection accepted so far has closed.</summary>
        public Task AllClosed
        {
            get
            {
                lock (_connections) return Task.WhenAll(_connections);
            }
        }

        public async Task Received(long bytes)
        {
            while (BytesReceived < bytes) await Task.Delay(10);
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket s;
                try
                {
                    s = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_connections) _connections.Add(EchoAsync(s));
            }
        }

        private async Task EchoAsync(Socket s)
        {
            using (s)
            {
                byte[] buffer = new byte[4096];
                try
                {
                    while (true)
                    {
                        int n = await s.ReceiveAsync(buffer, SocketFlags.None);
                        if (n == 0) return;
                        Interlocked.Add(ref _received, n);
                        await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                    }
                }
                catch (SocketException)
                {
                    // The proxy dropped the connection: that is what the test asked for.
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
