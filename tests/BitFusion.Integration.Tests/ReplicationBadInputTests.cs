using System.Buffers.Binary;
using System.Text;
using BitFusion.Harness;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 3 for the replication services, against real processes: garbage before the handshake, a wrong key,
/// version or role, and after an honest handshake oversized or empty frames, unknown types, truncated and malformed
/// payloads, and messages a peer of that role may not send. Each closes just that connection (with a logged reason
/// and a counted error); the manager and data nodes keep serving, and no replica changes.
/// </summary>
public sealed class ReplicationBadInputTests(ITestOutputHelper output)
{
    [Fact]
    public Task BadInputClosesTheConnectionAndChangesNothing() =>
        ReplicationRun.RunAsync(output, "replication bad input", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0));
            NodeProcess manager = cluster.Managers[0];
            NodeProcess replica = cluster.Groups[0][0];
            var managerAt = cluster.EndPointOf(manager.Id);
            var replicaAt = cluster.EndPointOf(replica.Id);

            using BitListClient client = await BitListClient.ConnectAsync(managerAt, cluster.Key, cluster.IdentityOf(manager.Id), 10, group: 0);
            for (int i = 0; i < 100; i++) await client.AppendAsync(i % 3 == 0);
            BitsResult[] before = await run.ReadAgreeingAsync(cluster.Groups[0]);
            ManagerStats managerBefore = await ReplicationProbe.ManagerAsync(managerAt, cluster.Key, (ushort)manager.Id);
            DataNodeStats replicaBefore = await ReplicationProbe.DataNodeAsync(replicaAt, cluster.Key, (ushort)replica.Id);

            // Semantic errors are answered, not punished: the connection stays and nothing changes.
            var refused = await Assert.ThrowsAsync<RemoteException>(() => client.SetAsync(1_000_000, true).AsTask());
            Assert.Equal(ErrorCode.OutOfRange, refused.Code);
            using (BitListClient wrongGroup = await BitListClient.ConnectAsync(managerAt, cluster.Key, cluster.IdentityOf(manager.Id), 11, group: 7))
            {
                var bad = await Assert.ThrowsAsync<RemoteException>(() => wrongGroup.AppendAsync(true).AsTask());
                Assert.Equal(ErrorCode.BadRequest, bad.Code);
                Assert.True(wrongGroup.IsConnected);
            }

            int managerErrors = 0, replicaErrors = 0, rejections = 0;
            async Task Closed(string what, Task<RawPeer> open, Action<RawPeer> misbehave, bool atManager)
            {
                using RawPeer peer = await open;
                misbehave(peer);
                await peer.ExpectClosedAsync();
                if (atManager) managerErrors++;
                else replicaErrors++;
                Assert.Equal(100, await client.CountAsync());
                run.Log($"{what}: connection closed; still serving");
            }

            static async Task<RawPeer> Authenticated(System.Net.EndPoint at, ClusterKey key, PeerIdentity self, PeerIdentity role)
            {
                RawPeer peer = await RawPeer.ConnectAsync(at);
                await peer.HandshakeAsync(key, self, role);
                return peer;
            }

            var clientId = new PeerIdentity(NodeRole.Client, 12);
            Task<RawPeer> ToManager() => Authenticated(managerAt, cluster.Key, clientId, cluster.IdentityOf(manager.Id));
            Task<RawPeer> ToReplica() => Authenticated(replicaAt, cluster.Key, clientId, cluster.IdentityOf(replica.Id));
            Task<RawPeer> ToReplicaAsManager() => Authenticated(replicaAt, cluster.Key, new PeerIdentity(NodeRole.Manager, (ushort)manager.Id), cluster.IdentityOf(replica.Id));

            await Closed("garbage before the handshake", RawPeer.ConnectAsync(managerAt),
                p => p.Send(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), atManager: true);
            await Closed("garbage before the handshake (data node)", RawPeer.ConnectAsync(replicaAt),
                p => p.Send([0xFF, 0xFF, 0xFF, 0xFF, 0x02, 1, 2, 3]), atManager: false);
            await Closed("oversized frame", ToManager(), p => p.Send([0xFF, 0xFF, 0xFF, 0x7F, 20]), atManager: true);
            await Closed("zero-length frame", ToManager(), p => p.Send([0, 0, 0, 0, 20]), atManager: true);
            await Closed("unknown frame type", ToManager(), p => p.SendFrame((MessageType)200, Head(1, 0)), atManager: true);
            await Closed("truncated append", ToManager(), p => p.SendFrame(MessageType.Append, WriteHead(1, 0)[..20]), atManager: true);
            await Closed("append with a bit of 2", ToManager(), p => p.SendFrame(MessageType.Append, [.. WriteHead(1, 0), 2]), atManager: true);
            await Closed("append with trailing bytes", ToManager(), p => p.SendFrame(MessageType.Append, [.. WriteHead(1, 0), 1, 9, 9]), atManager: true);
            await Closed("append with client id 0", ToManager(), p => p.SendFrame(MessageType.Append, [.. WriteHead(1, 0, clientId: 0), 1]), atManager: true);
            await Closed("append with client seq 0", ToManager(), p => p.SendFrame(MessageType.Append, [.. WriteHead(1, 0, seq: 0), 1]), atManager: true);
            await Closed("append with a resend flag of 3", ToManager(), p => p.SendFrame(MessageType.Append, [.. WriteHead(1, 0, resend: 3), 1]), atManager: true);
            await Closed("append-many of -5 bits", ToManager(), p => p.SendFrame(MessageType.AppendMany, [.. WriteHead(1, 0), 0xFB, 0xFF, 0xFF, 0xFF]), atManager: true);
            await Closed("append-many short of words", ToManager(), p => p.SendFrame(MessageType.AppendMany, [.. WriteHead(1, 0), 200, 0, 0, 0, 1, 2, 3]), atManager: true);
            await Closed("a data node's message from a client", ToManager(), p => p.SendFrame(MessageType.AbcastPropose, new byte[20]), atManager: true);
            await Closed("unknown frame type (data node)", ToReplica(), p => p.SendFrame((MessageType)201, new byte[8]), atManager: false);
            await Closed("truncated get (data node)", ToReplica(), p => p.SendFrame(MessageType.Get, new byte[10]), atManager: false);
            await Closed("a manager's message from a client (data node)", ToReplica(), p => p.SendFrame(MessageType.AbcastData, new byte[54]), atManager: false);
            await Closed("data of an unknown write kind", ToReplicaAsManager(), p => p.SendFrame(MessageType.AbcastData, Data(kind: 9)), atManager: false);
            await Closed("data in another sender's name", ToReplicaAsManager(), p => p.SendFrame(MessageType.AbcastData, Data(kind: 0)), atManager: false);
            await Closed("a data run with its second item cut off", ToReplicaAsManager(),
                p => p.SendFrame(MessageType.AbcastData, [.. Data(kind: 0), .. Data(kind: 0)[4..40]]), atManager: false);
            await Closed("a data run whose second item claims more words than it has", ToReplicaAsManager(),
                p => p.SendFrame(MessageType.AbcastData, [.. Data(kind: 0), .. Data(kind: 0, bits: 640)[4..], 1, 2, 3]), atManager: false);
            await Closed("a malformed view", ToReplicaAsManager(), p => p.SendFrame(MessageType.ViewChange, new byte[30]), atManager: false);

            PeerIdentity managerIs = cluster.IdentityOf(manager.Id), replicaIs = cluster.IdentityOf(replica.Id);
            foreach ((string what, ClusterKey key, PeerIdentity self, PeerIdentity role, System.Net.EndPoint at, RejectCode expected) in new[]
            {
                ("wrong cluster key", ClusterKey.Generate(), clientId, managerIs, managerAt, RejectCode.BadKey),
                ("role the manager does not accept", cluster.Key, new PeerIdentity(NodeRole.Primary, 1), managerIs, managerAt, RejectCode.BadRole),
                ("role a data node does not accept", cluster.Key, new PeerIdentity(NodeRole.Backup, 1), replicaIs, replicaAt, RejectCode.BadRole),
            })
            {
                var rejected = await Assert.ThrowsAsync<HandshakeRejectedException>(() =>
                    Dialer.ConnectAsync(at, key, self, role, Frame.DefaultMaxFrameBytes, CancellationToken.None));
                Assert.Equal(expected, rejected.Code);
                rejections++;
                run.Log($"{what}: rejected ({rejected.Code}: {rejected.Message})");
            }
            using (RawPeer peer = await RawPeer.ConnectAsync(managerAt))
            {
                await peer.ReadChallengeAsync();
                peer.SendHello(Handshake.Magic, Handshake.Version + 1, NodeRole.Client, 12, new byte[32]);
                List<(MessageType Type, byte[] Payload)> answer = await peer.ExpectClosedAsync();
                Assert.Equal(MessageType.Reject, answer[0].Type);
                Assert.Equal((byte)RejectCode.BadVersion, answer[0].Payload[0]);
                rejections++;
                run.Log("unsupported protocol version: rejected (BadVersion)");
            }

            BitsResult[] after = await run.ReadAgreeingAsync(cluster.Groups[0]);
            Assert.Equal(before[0].Seq, after[0].Seq);
            Assert.Equal(before[0].Length, after[0].Length);
            Assert.Equal(before[0].Words, after[0].Words);
            ManagerStats managerAfter = await ReplicationProbe.ManagerAsync(managerAt, cluster.Key, (ushort)manager.Id);
            DataNodeStats replicaAfter = await ReplicationProbe.DataNodeAsync(replicaAt, cluster.Key, (ushort)replica.Id);
            Assert.True(managerAfter.ProtocolErrors - managerBefore.ProtocolErrors >= managerErrors,
                $"the manager counted {managerAfter.ProtocolErrors - managerBefore.ProtocolErrors} protocol errors for {managerErrors} bad connections");
            Assert.True(replicaAfter.ProtocolErrors - replicaBefore.ProtocolErrors >= replicaErrors,
                $"the data node counted {replicaAfter.ProtocolErrors - replicaBefore.ProtocolErrors} protocol errors for {replicaErrors} bad connections");
            Assert.True(managerAfter.Rejected + replicaAfter.Rejected - managerBefore.Rejected - replicaBefore.Rejected >= rejections);
            Assert.Equal(0, managerAfter.Divergences);
            Assert.True(manager.IsRunning && cluster.DataNodes.All(n => n.IsRunning), "a process died of bad input");
            run.Log($"{managerErrors + replicaErrors} bad connections closed, {rejections} handshakes rejected; replicas unchanged at position {after[0].Seq}");
        });

    private static byte[] Head(ulong id, int group)
    {
        byte[] head = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, id);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(8), group);
        return head;
    }

    /// <summary>A write's head to a manager: reqId, group, clientId, clientSeq, resend.</summary>
    private static byte[] WriteHead(ulong id, int group, ulong clientId = 0xC1, ulong seq = 1, byte resend = 0)
    {
        byte[] head = new byte[12 + 17];
        BinaryPrimitives.WriteUInt64LittleEndian(head, id);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(8), group);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(12), clientId);
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(20), seq);
        head[28] = resend;
        return head;
    }

    /// <summary>An AbcastData frame (a run of one) from sender 1, seq 1, to group 0, of write kind <paramref name="kind"/>, claiming <paramref name="bits"/> bits but carrying no words.</summary>
    private static byte[] Data(byte kind, int bits = 0)
    {
        byte[] p = new byte[58];
        var w = new PayloadWriter(p);
        w.I32(1);
        w.I64(1);
        w.I64(1);
        w.I64(0);
        w.U64(1);
        w.I64(0);
        w.U8(kind);
        w.I64(0);
        w.Bool(true);
        w.I32(bits);
        return p;
    }
}
