using System.Security.Cryptography;
using System.Text;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Mutual challenge–response over the dialer's role key (see <see cref="ClusterKey"/>). The server speaks first with
/// a nonce; the dialer answers with its identity and HMAC(roleKey, "BFSN/hello" | both nonces | both identities);
/// the server checks it with the key of the role the dialer claims, then consults <see cref="RoleTable"/> and the
/// configuration, and answers Welcome with HMAC(roleKey, "BFSN/welcome" | …) so the dialer knows the server holds
/// that key too, or Reject with a reason and closes. Nothing but these frames is accepted before Welcome.
/// In TLS mode the same exchange runs inside TLS and the server also requires the claimed identity to be the one the
/// dialer's certificate names (the dialer checked the server's certificate against the server it meant to reach).
/// The MAC stays: a peer must hold both the role's key and a certificate from the cluster CA for the identity it claims.
/// </summary>
internal static class Handshake
{
    public const uint Magic = 0x4E534642; // "BFSN" little-endian
    public const ushort Version = 5;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private const int NonceBytes = 32;
    private const int MacBytes = 32;

    /// <param name="knows">Whether the configuration names this peer (clients: any id).</param>
    public static async Task<PeerIdentity> AcceptAsync(
        Connection connection, ClusterKey key, PeerIdentity self, Func<PeerIdentity, bool> knows, CancellationToken cancellation)
    {
        byte[] serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        Span<byte> challenge = stackalloc byte[4 + 2 + 1 + 2 + NonceBytes];
        var w = new PayloadWriter(challenge);
        w.U32(Magic);
        w.U16(Version);
        w.U8((byte)self.Role);
        w.U16(self.NodeId);
        w.Bytes(serverNonce);
        connection.Send(MessageType.Challenge, challenge);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(DefaultTimeout);
        Frame hello;
        try
        {
            hello = await connection.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new ProtocolException($"No Hello within {DefaultTimeout.TotalSeconds:0} s.");
        }
        if (hello.IsEnd) throw new ProtocolException("Peer closed before the handshake.");
        if (hello.Type != MessageType.Hello) throw new ProtocolException($"Expected Hello, got frame type {(byte)hello.Type} before the handshake.");

        (PeerIdentity peer, RejectCode code, string? refusal) = Judge(hello.Payload.Span, key, self, serverNonce, knows, out byte[] clientNonce);
        if (refusal is null && connection.Certified is { } certified && certified != peer)
            (code, refusal) = (RejectCode.BadCertificate, $"TLS: the peer claims to be {peer} but its certificate is issued to {certified}");
        if (refusal is not null)
        {
            // Counted before the peer can see the Reject, so whoever reads the counters after a refusal sees it.
            connection.Counters?.CountRejected();
            SendReject(connection, code, refusal);
            throw new HandshakeRejectedException(code, refusal);
        }

        Span<byte> welcome = stackalloc byte[MacBytes];
        ComputeMac(key, peer.Role, "BFSN/welcome", clientNonce, serverNonce, peer, self, welcome);
        connection.Send(MessageType.Welcome, welcome);
        connection.Peer = peer;
        return peer;
    }

    /// <summary>
    /// The server's whole decision on a Hello payload, without I/O: who the peer claims to be, and why it is refused
    /// (null when admitted). A malformed payload is a <see cref="ProtocolException"/>.
    /// </summary>
    internal static (PeerIdentity Peer, RejectCode Code, string? Refusal) Judge(
        ReadOnlySpan<byte> hello, ClusterKey key, PeerIdentity self, ReadOnlySpan<byte> serverNonce, Func<PeerIdentity, bool> knows, out byte[] clientNonce)
    {
        var r = new PayloadReader(hello);
        uint magic = r.U32();
        ushort version = r.U16();
        var role = (NodeRole)r.U8();
        ushort nodeId = r.U16();
        clientNonce = r.Bytes(NonceBytes).ToArray();
        ReadOnlySpan<byte> mac = r.Bytes(MacBytes);
        r.End();
        var peer = new PeerIdentity(role, nodeId);
        if (magic != Magic) return (peer, RejectCode.BadMagic, $"bad magic 0x{magic:X8}");
        if (version != Version) return (peer, RejectCode.BadVersion, $"protocol version {version} is not supported (this server speaks {Version})");
        if (!Enum.IsDefined(role)) return (peer, RejectCode.BadRole, $"unknown role {(byte)role}");
        Span<byte> expected = stackalloc byte[MacBytes];
        ComputeMac(key, role, "BFSN/hello", serverNonce, clientNonce, peer, self, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac)) return (peer, RejectCode.BadKey, $"authentication failed: not the {role} key of this cluster");
        if (!RoleTable.Admits(self.Role, role)) return (peer, RejectCode.BadRole, $"a {self.Role} does not accept connections from a {role}");
        if (!knows(peer)) return (peer, RejectCode.UnknownNode, $"the configuration names no {peer}");
        return (peer, RejectCode.None, null);
    }

    /// <summary>A Challenge payload: the server's identity and nonce, or a <see cref="ProtocolException"/>.</summary>
    internal static (PeerIdentity Server, byte[] Nonce) ReadChallenge(ReadOnlySpan<byte> challenge)
    {
        var r = new PayloadReader(challenge);
        uint magic = r.U32();
        ushort version = r.U16();
        var server = new PeerIdentity((NodeRole)r.U8(), r.U16());
        byte[] nonce = r.Bytes(NonceBytes).ToArray();
        r.End();
        if (magic != Magic) throw new ProtocolException($"Not a BitFusion server (magic 0x{magic:X8}).");
        if (version != Version) throw new ProtocolException($"Server speaks protocol version {version}; this client speaks {Version}.");
        return (server, nonce);
    }

    /// <summary>A Reject payload as the exception the dialer throws; a malformed one is a <see cref="ProtocolException"/>.</summary>
    internal static HandshakeRejectedException ReadReject(ReadOnlySpan<byte> reject)
    {
        var r = new PayloadReader(reject);
        var code = (RejectCode)r.U8();
        int length = r.U16();
        string reason = Encoding.UTF8.GetString(r.Bytes(length));
        r.End();
        return new HandshakeRejectedException(code, reason);
    }

    /// <summary>Dials as <paramref name="self"/>; the server must be exactly <paramref name="expectedServer"/>, role and id.</summary>
    /// <param name="pipelined">
    /// Queues frames right behind the Hello, sent with it before the Welcome is checked: the server reads them only
    /// once it admitted the dialer (a refused dialer's frames are never handled), and the dialer handles nothing the
    /// server sends until the Welcome proved the server holds the key. They must hold nothing the server may not learn
    /// before it is authenticated (in plain mode every later frame crosses the wire in the clear anyway).
    /// </param>
    public static async Task<PeerIdentity> ConnectAsync(
        Connection connection, ClusterKey key, PeerIdentity self, PeerIdentity expectedServer, CancellationToken cancellation,
        Action<Connection>? pipelined = null)
    {
        if (!key.CanActAs(self.Role)) throw new ArgumentException($"A client key cannot authenticate as a {self.Role}.", nameof(key));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(DefaultTimeout);
        Frame challenge = await ReadWithinAsync(connection, timeout.Token, cancellation, "Challenge").ConfigureAwait(false);
        if (challenge.IsEnd) throw new ProtocolException("Server closed before the handshake.");
        if (challenge.Type != MessageType.Challenge) throw new ProtocolException($"Expected Challenge, got frame type {(byte)challenge.Type}.");
        (PeerIdentity server, byte[] serverNonce) = ReadChallenge(challenge.Payload.Span);
        // Refused, not retried: a server that is another node will not turn into the one meant.
        if (server.Role != expectedServer.Role) throw new HandshakeRejectedException(RejectCode.BadRole, $"expected {expectedServer} but reached {server}");
        if (server != expectedServer) throw new HandshakeRejectedException(RejectCode.UnknownNode, $"expected {expectedServer} but reached {server}");
        byte[] clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        Span<byte> hello = stackalloc byte[4 + 2 + 1 + 2 + NonceBytes + MacBytes];
        var w = new PayloadWriter(hello);
        w.U32(Magic);
        w.U16(Version);
        w.U8((byte)self.Role);
        w.U16(self.NodeId);
        w.Bytes(clientNonce);
        ComputeMac(key, self.Role, "BFSN/hello", serverNonce, clientNonce, self, server, w.Free[..MacBytes]);
        w.Advance(MacBytes);
        connection.Enqueue(MessageType.Hello, hello);
        pipelined?.Invoke(connection);
        connection.Flush();

        Frame answer = await ReadWithinAsync(connection, timeout.Token, cancellation, "Welcome or Reject").ConfigureAwait(false);
        if (answer.IsEnd) throw new ProtocolException("Server closed during the handshake.");
        if (answer.Type == MessageType.Reject) throw ReadReject(answer.Payload.Span);
        if (answer.Type != MessageType.Welcome) throw new ProtocolException($"Expected Welcome, got frame type {(byte)answer.Type}.");
        Span<byte> expected = stackalloc byte[MacBytes];
        ComputeMac(key, self.Role, "BFSN/welcome", clientNonce, serverNonce, self, server, expected);
        var wr = answer.Reader();
        if (!CryptographicOperations.FixedTimeEquals(expected, wr.Bytes(MacBytes)))
            throw new HandshakeRejectedException(RejectCode.BadKey, $"the server does not hold the {self.Role} key of this cluster");
        wr.End();
        connection.Peer = server;
        return server;
    }

    /// <summary>
    /// A server that says nothing in time is a failed attempt like a refused one (a ProtocolException, which callers
    /// retry), not a cancellation: only the caller's own token means "stop trying".
    /// </summary>
    private static async ValueTask<Frame> ReadWithinAsync(Connection connection, CancellationToken timeout, CancellationToken cancellation, string awaited)
    {
        try
        {
            return await connection.ReadAsync(timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new ProtocolException($"No {awaited} from the server within {DefaultTimeout.TotalSeconds:0} s.");
        }
    }

    private static void SendReject(Connection connection, RejectCode code, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        Span<byte> head = stackalloc byte[3];
        head[0] = (byte)code;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(head[1..], (ushort)Math.Min(text.Length, ushort.MaxValue));
        connection.Send(MessageType.Reject, head, text.AsSpan(0, Math.Min(text.Length, ushort.MaxValue)));
    }

    private static void ComputeMac(
        ClusterKey key, NodeRole keyRole, string label, ReadOnlySpan<byte> firstNonce, ReadOnlySpan<byte> secondNonce,
        PeerIdentity client, PeerIdentity server, Span<byte> mac)
    {
        Span<byte> message = stackalloc byte[16 + 2 * NonceBytes + 6];
        int n = Encoding.ASCII.GetBytes(label, message);
        firstNonce.CopyTo(message[n..]);
        n += NonceBytes;
        secondNonce.CopyTo(message[n..]);
        n += NonceBytes;
        message[n++] = (byte)client.Role;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(message[n..], client.NodeId);
        n += 2;
        message[n++] = (byte)server.Role;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(message[n..], server.NodeId);
        n += 2;
        key.Mac(keyRole, message[..n], mac);
    }
}
