using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Opens an authenticated connection to one server, checked by role and node id; over TLS when the key carries
/// <see cref="ClusterKey.Tls"/>, and then a client dials under its certificate's id whatever id it was given.
/// </summary>
internal static class Dialer
{
    /// <param name="maxQueuedBytes">The connection's send-queue cap (0: <see cref="Connection.DefaultMaxQueuedBytes"/>).</param>
    /// <param name="pipelined">
    /// Queues the dialer's first frames right behind its Hello (see <see cref="Handshake.ConnectAsync"/>), so they
    /// travel with it instead of a round trip later; the caller must undo whatever it did there if this throws.
    /// </param>
    public static async Task<Connection> ConnectAsync(
        EndPoint endpoint, ClusterKey key, PeerIdentity self, PeerIdentity server, int maxFrameBytes, CancellationToken cancellation,
        long maxQueuedBytes = 0, Action<Connection>? pipelined = null)
    {
        if (key.Tls is { } credentials && self.Role == NodeRole.Client) self = credentials.ClientIdentity;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellation).ConfigureAwait(false);
            // Dialing a local port nobody listens on can pick that very port as the ephemeral source and connect
            // the socket to itself (TCP simultaneous open); to the caller that is the same as a refusal.
            if (socket.LocalEndPoint is { } local && local.Equals(socket.RemoteEndPoint))
                throw new SocketException((int)SocketError.ConnectionRefused);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = key.Tls is null
            ? new Connection(socket, $"{server} @ {endpoint}", maxFrameBytes, maxQueuedBytes)
            : await OpenTlsAsync(socket, key.Tls, self, server, $"{server} @ {endpoint}", maxFrameBytes, maxQueuedBytes, cancellation).ConfigureAwait(false);
        try
        {
            await Handshake.ConnectAsync(connection, key, self, server, cancellation, pipelined).ConfigureAwait(false);
            connection.Open(RoleTable.Batches(self.Role, server.Role));
            return connection;
        }
        catch
        {
            connection.Close("handshake failed");
            connection.ReleaseReceiveBuffer();
            throw;
        }
    }

    private static async Task<Connection> OpenTlsAsync(
        Socket socket, TlsCredentials credentials, PeerIdentity self, PeerIdentity server, string name, int maxFrameBytes, long maxQueuedBytes,
        CancellationToken cancellation)
    {
        try
        {
            SslStream stream = await TlsChannel.ConnectAsync(socket, credentials, self, server, cancellation).ConfigureAwait(false);
            return new Connection(socket, stream, server, name, maxFrameBytes, maxQueuedBytes);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Retries until the server answers (it may still be starting) or the token fires; authentication errors are not
    /// retried. <paramref name="failed"/> hears of each failed attempt.
    /// </summary>
    public static async Task<Connection> ConnectWithRetryAsync(
        EndPoint endpoint, ClusterKey key, PeerIdentity self, PeerIdentity server, int maxFrameBytes, CancellationToken cancellation,
        Action<Exception>? failed = null, long maxQueuedBytes = 0)
    {
        int delayMs = 5;
        while (true)
        {
            try
            {
                return await ConnectAsync(endpoint, key, self, server, maxFrameBytes, cancellation, maxQueuedBytes).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ProtocolException && !cancellation.IsCancellationRequested)
            {
                failed?.Invoke(e);
                await Task.Delay(delayMs, cancellation).ConfigureAwait(false);
                delayMs = Math.Min(delayMs * 2, 200);
            }
        }
    }
}
