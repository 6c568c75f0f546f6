using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Accepts TCP connections, runs the handshake on each, then serves its frames with a handler behind
/// <see cref="RoleTable"/>: only the roles that may talk to this server get in, and each sends only its own frames.
/// At most <see cref="MaxHandshakes"/> connections may be in their handshake at once; one more is closed on arrival
/// and counted, so unauthenticated peers can hold only a small, fixed amount of memory. In TLS mode the TLS handshake
/// comes first and counts as part of the handshake.
/// </summary>
internal sealed class FrameServer : IDisposable
{
    public const int DefaultMaxHandshakes = 64;

    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    private readonly Socket _listener;
    private readonly ClusterKey _key;
    private readonly PeerIdentity _self;
    private readonly Func<PeerIdentity, bool> _knows;
    private readonly IFrameHandler _handler;
    private readonly int _maxFrameBytes;
    private readonly int _heartbeatMs;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _maxQueuedBytes;
    private int _handshaking;

    /// <param name="knows">Whether the configuration names a peer (see <see cref="Config.Cluster.Knows"/>).</param>
    public FrameServer(IPEndPoint endpoint, ClusterKey key, PeerIdentity self, Func<PeerIdentity, bool> knows, IFrameHandler handler, int maxFrameBytes,
        int heartbeatMs = 0, int maxHandshakes = DefaultMaxHandshakes, long maxQueuedBytes = 0)
    {
        if (key.IsClientOnly) throw new ArgumentException("A server needs the cluster key; this is a client key.", nameof(key));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHandshakes, 1);
        MaxHandshakes = maxHandshakes;
        _maxQueuedBytes = maxQueuedBytes;
        _key = key;
        _self = self;
        _knows = knows;
        _handler = new RoleGuard(self.Role, handler);
        _maxFrameBytes = maxFrameBytes;
        _heartbeatMs = heartbeatMs;
        // Loaded now, so a node whose certificate is missing fails at startup rather than at its first peer.
        key.Tls?.ContextFor(self);
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // Plain SO_REUSEADDR, so a restarted node can bind while its old connections sit in TIME_WAIT. .NET's
        // ReuseAddress also sets SO_REUSEPORT on Linux, which lets a second process listen on the same port and
        // silently take a share of its connections.
        if (OperatingSystem.IsLinux()) _listener.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        _listener.Bind(endpoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        Diagnostics.NodeGauges.AddServer(self, Counters);
    }

    public IPEndPoint LocalEndPoint { get; }

    public NetCounters Counters { get; } = new();

    public int MaxHandshakes { get; }

    public void Start() => _ = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.Warn($"accept failed: {e.SocketErrorCode}");
                continue;
            }
            if (Interlocked.Increment(ref _handshaking) > MaxHandshakes)
            {
                Interlocked.Decrement(ref _handshaking);
                Counters.CountHandshakeOverflow();
                // Logged at powers of two: a flood must not turn into a flood of log lines.
                long overflows = Counters.HandshakeOverflows;
                if ((overflows & (overflows - 1)) == 0)
                    Log.Warn($"closed a connection from {socket.RemoteEndPoint} at once: {MaxHandshakes} others are still in their handshake ({overflows} so far)");
                socket.Dispose();
                continue;
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        string name = $"peer @ {socket.RemoteEndPoint}";
        Connection? connection = _key.Tls is null ? new Connection(socket, name, _maxFrameBytes, _maxQueuedBytes) { Counters = Counters } : null;
        try
        {
            if (connection is null)
            {
                (SslStream stream, PeerIdentity certified) = await TlsChannel.AcceptAsync(socket, _key.Tls!, _self, _stop.Token).ConfigureAwait(false);
                connection = new Connection(socket, stream, certified, name, _maxFrameBytes, _maxQueuedBytes) { Counters = Counters };
            }
            PeerIdentity peer = await Handshake.AcceptAsync(connection, _key, _self, _knows, _stop.Token).ConfigureAwait(false);
            connection.Name = $"{peer} @ {socket.RemoteEndPoint}";
            connection.Open(RoleTable.Batches(_self.Role, peer.Role));
            Counters.CountAccepted();
        }
        catch (Exception e) when (e is HandshakeRejectedException or ProtocolException or OperationCanceledException)
        {
            string reason = e switch
            {
                HandshakeRejectedException => $"rejected: {e.Message}",
                ProtocolException => $"handshake: {e.Message}",
                _ => "shutting down",
            };
            if (e is ProtocolException) Counters.CountProtocolError();
            if (e is not OperationCanceledException) Log.Warn($"closing {connection?.Name ?? name} during the handshake: {reason}");
            if (connection is null)
            {
                // Refused by TLS, before a Connection existed: the handshake did not get to count it.
                if (e is HandshakeRejectedException) Counters.CountRejected();
                socket.Dispose();
                return;
            }
            connection.Close(reason);
            connection.ReleaseReceiveBuffer();
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }
        await FrameLoop.RunAsync(connection, _handler, Counters, _stop.Token, _heartbeatMs).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        Diagnostics.NodeGauges.RemoveServer(Counters);
    }
}
