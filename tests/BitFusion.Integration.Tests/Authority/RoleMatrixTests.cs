using System.Net;
using System.Security.Cryptography;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>
/// Who may complete a handshake with whom, over real loopback connections to in-process servers: the role table,
/// the client key's limits, node ids checked against the configuration, and the dialer checking the server.
/// </summary>
public sealed class RoleMatrixTests
{
    private static readonly NodeRole[] Roles = Enum.GetValues<NodeRole>();

    // Every pairing the design allows; everything else must be refused with BadRole.
    private static readonly HashSet<(NodeRole Server, NodeRole Peer)> Allowed =
    [
        (NodeRole.Backup, NodeRole.Primary), (NodeRole.Backup, NodeRole.Client),
        (NodeRole.Primary, NodeRole.Client),
        (NodeRole.Manager, NodeRole.Client), (NodeRole.Manager, NodeRole.Manager),
        (NodeRole.DataNode, NodeRole.Manager), (NodeRole.DataNode, NodeRole.DataNode), (NodeRole.DataNode, NodeRole.Client),
    ];

    private static FrameServer Serve(ClusterKey key, PeerIdentity self, IFrameHandler? handler = null, Func<PeerIdentity, bool>? knows = null)
    {
        var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, self, knows ?? (_ => true), handler ?? new SilentHandler(), Frame.DefaultMaxFrameBytes);
        server.Start();
        return server;
    }

    private static Task<Connection> Dial(FrameServer server, ClusterKey key, PeerIdentity self, PeerIdentity expected) =>
        Dialer.ConnectAsync(server.LocalEndPoint, key, self, expected, Frame.DefaultMaxFrameBytes, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

    [Fact]
    public async Task EveryServerRoleAdmitsExactlyTheRolesOfTheTable()
    {
        ClusterKey key = ClusterKey.Generate();
        foreach (NodeRole serverRole in Roles)
        {
            var self = new PeerIdentity(serverRole, 1);
            using FrameServer server = Serve(key, self);
            foreach (NodeRole peerRole in Roles)
            {
                var peer = new PeerIdentity(peerRole, 2);
                if (Allowed.Contains((serverRole, peerRole)))
                {
                    using Connection c = await Dial(server, key, peer, self);
                    Assert.Equal(self, c.Peer);
                }
                else
                {
                    var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => Dial(server, key, peer, self));
                    Assert.True(e.Code == RejectCode.BadRole, $"a {peerRole} at a {serverRole}: {e.Code} {e.Message}");
                }
            }
        }
    }

    [Fact]
    public void TheFrameTableLimitsClientsAtBackupsAndDataNodes()
    {
        Assert.True(RoleTable.Allows(NodeRole.Backup, NodeRole.Client, MessageType.Stats));
        Assert.False(RoleTable.Allows(NodeRole.Backup, NodeRole.Client, MessageType.Attach));
        Assert.False(RoleTable.Allows(NodeRole.Backup, NodeRole.Client, MessageType.Delta));
        Assert.True(RoleTable.Allows(NodeRole.Backup, NodeRole.Primary, MessageType.Delta));
        Assert.True(RoleTable.Allows(NodeRole.DataNode, NodeRole.Client, MessageType.ReadAll));
        Assert.False(RoleTable.Allows(NodeRole.DataNode, NodeRole.Client, MessageType.AbcastData));
        Assert.False(RoleTable.Allows(NodeRole.DataNode, NodeRole.DataNode, MessageType.AbcastData));
        Assert.True(RoleTable.Allows(NodeRole.DataNode, NodeRole.DataNode, MessageType.State));
        Assert.True(RoleTable.Allows(NodeRole.DataNode, NodeRole.DataNode, MessageType.StateChunk));
        Assert.False(RoleTable.Allows(NodeRole.DataNode, NodeRole.Client, MessageType.StateChunk));
        Assert.False(RoleTable.Allows(NodeRole.Primary, NodeRole.Client, MessageType.Hello));
        Assert.False(RoleTable.Allows(NodeRole.Primary, NodeRole.Primary, MessageType.Append));
    }

    [Fact]
    public async Task AFrameOutsideTheRolesRowClosesTheConnectionBeforeTheHandlerSeesIt()
    {
        ClusterKey key = ClusterKey.Generate();
        var seen = new RecordingHandler();
        var self = new PeerIdentity(NodeRole.Backup, 1);
        using FrameServer server = Serve(key, self, seen);
        using RawPeer peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        await peer.HandshakeAsync(key, new PeerIdentity(NodeRole.Client, 7), self);
        peer.SendFrame(MessageType.Stats, new byte[8]);
        peer.SendFrame(MessageType.Attach, new byte[13]);
        await peer.ExpectClosedAsync();
        Assert.Equal([MessageType.Stats], seen.Types);
        Assert.Equal(1, server.Counters.ProtocolErrors);
    }

    /// <summary>Found by the stateful fuzzer: a frame of type 0 passed for a clean end of stream and moved no error counter.</summary>
    [Fact]
    public async Task AFrameOfTypeZeroIsAProtocolErrorNotAnEndOfStream()
    {
        Assert.True(default(Frame).IsEnd);
        Assert.False(new Frame(0, new byte[1]).IsEnd);
        ClusterKey key = ClusterKey.Generate();
        var self = new PeerIdentity(NodeRole.Primary, 1);
        using FrameServer server = Serve(key, self);
        using RawPeer peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        await peer.HandshakeAsync(key, new PeerIdentity(NodeRole.Client, 7), self);
        peer.SendFrame(0, [0]);
        await peer.ExpectClosedAsync();
        Assert.Equal(1, server.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task AClientKeyCannotCompleteAHandshakeAsAnyNodeRole()
    {
        ClusterKey cluster = ClusterKey.Generate();
        ClusterKey client = ClusterKey.ParseClientKey(cluster.ClientKeyHex());
        // The holder of a client key tries everything it can: MAC with the client key while claiming a node role,
        // and treat the client key as if it were the cluster key (deriving "role keys" from it).
        ClusterKey misused = ClusterKey.Parse(cluster.ClientKeyHex());
        foreach (NodeRole serverRole in Roles.Where(r => r != NodeRole.Client))
        {
            var self = new PeerIdentity(serverRole, 1);
            using FrameServer server = Serve(cluster, self);
            foreach (NodeRole claimed in Roles.Where(r => r != NodeRole.Client && Allowed.Contains((serverRole, r))))
            {
                using (RawPeer peer = await RawPeer.ConnectAsync(server.LocalEndPoint))
                {
                    byte[] serverNonce = await peer.ReadChallengeAsync();
                    byte[] clientNonce = RandomNumberGenerator.GetBytes(32);
                    byte[] mac = HelloMac(ClusterKey.DeriveRoleKey(Convert.FromHexString(cluster.ToHex()), NodeRole.Client), serverNonce, clientNonce,
                        new PeerIdentity(claimed, 2), self);
                    peer.SendHello(Handshake.Magic, Handshake.Version, claimed, 2, clientNonce, mac);
                    (MessageType type, byte[] payload) = await peer.ReadFrameAsync() ?? throw new IOException("closed without a Reject");
                    Assert.Equal(MessageType.Reject, type);
                    Assert.Equal(RejectCode.BadKey, (RejectCode)payload[0]);
                }
                var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => Dial(server, misused, new PeerIdentity(claimed, 2), self));
                Assert.Equal(RejectCode.BadKey, e.Code);
                await Assert.ThrowsAsync<ArgumentException>(() => Dial(server, client, new PeerIdentity(claimed, 2), self));
            }
            if (Allowed.Contains((serverRole, NodeRole.Client)))
            {
                using Connection ok = await Dial(server, client, new PeerIdentity(NodeRole.Client, 3), self);
                Assert.Equal(self, ok.Peer);
            }
        }
    }

    [Fact]
    public async Task ANodeIdTheConfigurationDoesNotNameIsRejected()
    {
        Cluster cluster = Cluster.FromConfig(ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", 0));
        var backup = Cluster.IdentityOf(cluster.Backups[0]);
        using FrameServer server = Serve(cluster.Key, backup, knows: cluster.Knows);
        using (Connection real = await Dial(server, cluster.Key, Cluster.IdentityOf(cluster.Primaries[1]), backup))
            Assert.Equal(backup, real.Peer);
        var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => Dial(server, cluster.Key, new PeerIdentity(NodeRole.Primary, 99), backup));
        Assert.Equal(RejectCode.UnknownNode, e.Code);
        // A configured id under another role is not that role either.
        e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => Dial(server, cluster.Key, new PeerIdentity(NodeRole.Primary, (ushort)cluster.Backups[0].Id), backup));
        Assert.Equal(RejectCode.UnknownNode, e.Code);
        // The server counts a refusal after sending it, so the dialer can hear it first.
        for (int i = 0; i < 500 && server.Counters.Rejected < 2; i++) await Task.Delay(10);
        Assert.Equal(2, server.Counters.Rejected);
    }

    [Fact]
    public async Task TheDialerChecksTheServersIdAsWellAsItsRole()
    {
        ClusterKey key = ClusterKey.Generate();
        using FrameServer server = Serve(key, new PeerIdentity(NodeRole.Primary, 1));
        var wrongId = await Assert.ThrowsAsync<HandshakeRejectedException>(() =>
            Dial(server, key, new PeerIdentity(NodeRole.Client, 2), new PeerIdentity(NodeRole.Primary, 4)));
        Assert.Equal(RejectCode.UnknownNode, wrongId.Code);
        var wrongRole = await Assert.ThrowsAsync<HandshakeRejectedException>(() =>
            Dial(server, key, new PeerIdentity(NodeRole.Client, 2), new PeerIdentity(NodeRole.Manager, 1)));
        Assert.Equal(RejectCode.BadRole, wrongRole.Code);
    }

    /// <summary>The Hello MAC exactly as docs/protocol.md defines it, under a key of the test's choosing.</summary>
    internal static byte[] HelloMac(byte[] key, byte[] serverNonce, byte[] clientNonce, PeerIdentity client, PeerIdentity server)
    {
        byte[] message = [.. "BFSN/hello"u8, .. serverNonce, .. clientNonce, (byte)client.Role, (byte)client.NodeId, (byte)(client.NodeId >> 8),
            (byte)server.Role, (byte)server.NodeId, (byte)(server.NodeId >> 8)];
        return HMACSHA256.HashData(key, message);
    }

    private sealed class RecordingHandler : IFrameHandler
    {
        private readonly List<MessageType> _types = [];

        public MessageType[] Types
        {
            get
            {
                lock (_types) return [.. _types];
            }
        }

        public void OnOpen(Connection connection)
        {
        }

        public void OnFrame(Connection connection, in Frame frame)
        {
            lock (_types) _types.Add(frame.Type);
        }

        public void OnClose(Connection connection)
        {
        }
    }
}
