using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Accepts TCP connections, runs the handshake on each, then serves its frames with a handler behind
/// <see cref="RoleTable"/>: only the roles that may talk to this server get in, and each sends only its own frames.
/// </summary>
public sealed class FrameServer : IDisposable
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    private readonly Socket _listener;
    private readonly ClusterKey _key;
    private readonly PeerIdentity _self;
    private readonly Func<PeerIdentity, bool> _knows;
    private readonly IFrameHandler _handler;
    private readonly int _maxFrameBytes;
    private readonly CancellationTokenSource _stop = new();

    /// <param name="knows">Whether the configuration names a peer (see <see cref="Config.Cluster.Knows"/>).</param>
    public FrameServer(IPEndPoint endpoint, ClusterKey key, PeerIdentity self, Func<PeerIdentity, bool> knows, IFrameHandler handler, int maxFrameBytes)
    {
        if (key.IsClientOnly) throw new ArgumentException("A server needs the cluster key; this is a client key.", nameof(key));
        _key = key;
        _self = self;
        _knows = knows;
        _handler = new RoleGuard(self.Role, handler);
        _maxFrameBytes = maxFrameBytes;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // Plain SO_REUSEADDR, so a restarted node can bind while its old connections sit in TIME_WAIT. .NET's
        // ReuseAddress also sets SO_REUSEPORT on Linux, which lets a second process listen on the same port and
        // silently take a share of its connections.
        if (OperatingSystem.IsLinux()) _listener.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        _listener.Bind(endpoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public NetCounters Counters { get; } = new();

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
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var connection = new Connection(socket, $"peer @ {socket.RemoteEndPoint}", _maxFrameBytes);
        try
        {
            PeerIdentity peer = await Handshake.AcceptAsync(connection, _key, _self, _knows, _stop.Token).ConfigureAwait(false);
            connection.Name = $"{peer} @ {socket.RemoteEndPoint}";
            Counters.CountAccepted();
        }
        catch (HandshakeRejectedException e)
        {
            Counters.CountRejected();
            Log.Warn($"rejected {connection.Name}: {e.Message}");
            connection.Close($"rejected: {e.Message}");
            return;
        }
        catch (ProtocolException e)
        {
            Counters.CountProtocolError();
            Log.Warn($"closing {connection.Name} during handshake: {e.Message}");
            connection.Close($"handshake: {e.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            connection.Close("shutting down");
            return;
        }
        await FrameLoop.RunAsync(connection, _handler, Counters, _stop.Token).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
    }
}
