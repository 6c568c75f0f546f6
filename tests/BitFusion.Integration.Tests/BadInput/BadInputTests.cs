using BitFusion.Net.Wire;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.BadInput;

/// <summary>
/// Invariant 3 against the real servers: each kind of bad input closes only the offending connection. Clients keep
/// writing to both lists before, during and after it; afterwards each list equals its model (so a primary applied
/// nothing it should not have), a fresh connection is served, a backup's counters recorded exactly this one bad
/// connection, and every primary is killed and rebuilt from the attacked backup and still equals its model (so the
/// backup's fused state did not change either).
/// </summary>
public sealed class BadInputTests(BadInputFixture fixture, ITestOutputHelper output) : IClassFixture<BadInputFixture>
{
    public enum Target
    {
        Primary,
        Backup,
    }

    private enum Expect
    {
        ProtocolError,
        Rejected,
    }

    public static IEnumerable<object[]> Cases() =>
        from target in Enum.GetValues<Target>()
        from bad in Enum.GetValues<BadInputCase>()
        select new object[] { target, bad };

    [Theory]
    [MemberData(nameof(Cases))]
    public Task BadConnectionIsClosedAndChangesNothing(Target target, BadInputCase bad) =>
        Scenario.RunAsync(output, $"{bad} against a {target.ToString().ToLowerInvariant()} (fixture seed {fixture.Seed})", async s =>
        {
            FusionCluster cluster = fixture.Cluster;
            s.Share(cluster, fixture.Workers);
            NodeProcess victim = target == Target.Primary ? cluster.Primaries[0] : cluster.Backups[0];
            EndPoint endpoint = cluster.EndPointOf(victim.Id);
            NodeStats before = await BackupProbe.StatsAsync(cluster.EndPointOf(cluster.Backups[0].Id), cluster.Key, (ushort)cluster.Backups[0].Id);
            Expect expect = Expect.ProtocolError;
            long logMark = victim.Log.Total;
            await s.DriveAsync(async _ =>
            {
                await Task.Delay(200);
                expect = await MisbehaveAsync(cluster, target, bad, endpoint);
                await Task.Delay(200);
            });
            Assert.True(victim.IsRunning, $"{victim} died of bad input");
            s.Log($"{victim} said: {await LoggedReasonAsync(victim, logMark)}");
            foreach (ListWorker w in s.Workers) await w.CheckAsync();
            s.Log($"both lists equal their models ({string.Join(", ", s.Workers.Select(w => $"{w.Model.Count} bits at seq {w.Model.Seq}"))})");

            using (BitListClient fresh = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[0].Id), cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), 77))
                Assert.Equal(s.Workers[0].Model.Count, await fresh.CountAsync());

            NodeStats after = await BackupProbe.StatsAsync(cluster.EndPointOf(cluster.Backups[0].Id), cluster.Key, (ushort)cluster.Backups[0].Id);
            if (target == Target.Backup)
            {
                long rejected = after.Rejected - before.Rejected, errors = after.ProtocolErrors - before.ProtocolErrors;
                Assert.True((rejected, errors) == (expect == Expect.Rejected ? (1, 0) : (0, 1)),
                    $"the backup counted {rejected} rejected and {errors} protocol errors; expected one {expect}");
                await ClusterCheck.RebuildPrimariesAsync(cluster, s.Workers, s.Rng, s.Log, "from the attacked backup");
            }
            else
            {
                Assert.Equal((before.Rejected, before.ProtocolErrors), (after.Rejected, after.ProtocolErrors));
            }
        });

    /// <summary>Does the bad thing on a fresh connection and checks the server closed it (after a Reject, where the handshake refuses).</summary>
    private static async Task<Expect> MisbehaveAsync(FusionCluster cluster, Target target, BadInputCase bad, EndPoint endpoint)
    {
        ushort realPrimary = (ushort)cluster.Primaries[0].Id;
        PeerIdentity server = cluster.IdentityOf(target == Target.Primary ? cluster.Primaries[0].Id : cluster.Backups[0].Id);
        var client = new PeerIdentity(NodeRole.Client, 5);
        using RawPeer peer = await RawPeer.ConnectAsync(endpoint);
        switch (bad)
        {
            case BadInputCase.OversizedLength:
            {
                await peer.HandshakeAsync(cluster.Key, client, server);
                byte[] header = new byte[Frame.HeaderSize + 16];
                BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)cluster.Cluster.Config.MaxFrameBytes + 1);
                header[4] = (byte)MessageType.Append;
                peer.Send(header);
                return await ClosedSilently(peer);
            }
            case BadInputCase.ZeroLength:
                await peer.HandshakeAsync(cluster.Key, client, server);
                peer.Send(new byte[8]);
                return await ClosedSilently(peer);
            case BadInputCase.UnknownType:
                // A backup takes all but Stats only from primaries, so speak as one to reach its type dispatch.
                await peer.HandshakeAsync(cluster.Key, target == Target.Primary ? client : new PeerIdentity(NodeRole.Primary, realPrimary), server);
                peer.SendFrame((MessageType)0xEE, new byte[9]);
                return await ClosedSilently(peer);
            case BadInputCase.TruncatedFrame:
            {
                await peer.HandshakeAsync(cluster.Key, client, server);
                byte[] start = new byte[Frame.HeaderSize + 6];
                BinaryPrimitives.WriteUInt32LittleEndian(start, 14);
                start[4] = (byte)MessageType.Set;
                peer.Send(start);
                peer.EndSending();
                return await ClosedSilently(peer);
            }
            case BadInputCase.ShortPayload when target == Target.Primary:
                await peer.HandshakeAsync(cluster.Key, client, server);
                peer.SendFrame(MessageType.Set, new byte[8 + 17 + 3]);
                return await ClosedSilently(peer);
            case BadInputCase.ShortPayload:
                await peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Primary, realPrimary), server);
                peer.SendFrame(MessageType.Delta, new byte[20]);
                return await ClosedSilently(peer);
            case BadInputCase.CorruptPayload when target == Target.Primary:
            {
                await peer.HandshakeAsync(cluster.Key, client, server);
                // reqId | clientId 1 | clientSeq 1 | resend 0 | a bit of 7.
                byte[] append = new byte[8 + 17 + 1];
                append[8] = 1;
                append[16] = 1;
                append[25] = 7;
                peer.SendFrame(MessageType.Append, append);
                return await ClosedSilently(peer);
            }
            case BadInputCase.CorruptPayload:
            {
                await peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Primary, realPrimary), server);
                // token 0 (a full load) | seq | length 64 | rawBytes 8 | lz4Bytes 4 | 4 bytes that are not LZ4.
                byte[] snapshot = new byte[8 + 8 + 4 + 4 + 4 + 4];
                BinaryPrimitives.WriteInt64LittleEndian(snapshot.AsSpan(8), 1);
                BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(16), 64);
                BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(20), 8);
                BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(24), 4);
                snapshot.AsSpan(28).Fill(0xFF);
                peer.SendFrame(MessageType.Snapshot, snapshot);
                return await ClosedSilently(peer);
            }
            case BadInputCase.GarbageBeforeHandshake:
                await peer.ReadChallengeAsync();
                peer.Send("GET / HTTP/1.1\r\nHost: bitfusion\r\n\r\n"u8);
                return await ClosedSilently(peer);
            case BadInputCase.RequestBeforeHandshake:
                await peer.ReadChallengeAsync();
                peer.SendFrame(MessageType.Append, new byte[9]);
                return await ClosedSilently(peer);
            case BadInputCase.WrongKey:
            {
                var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => peer.HandshakeAsync(ClusterKey.Generate(), client, server));
                Assert.Equal(RejectCode.BadKey, e.Code);
                Assert.Contains("authentication failed", e.Message);
                return await ClosedSilently(peer, Expect.Rejected);
            }
            case BadInputCase.WrongVersion:
                await peer.ReadChallengeAsync();
                peer.SendHello(Handshake.Magic, 99, NodeRole.Client, 5, new byte[32]);
                return await RejectedAsync(peer, RejectCode.BadVersion, "protocol version 99");
            case BadInputCase.WrongMagic:
                await peer.ReadChallengeAsync();
                peer.SendHello(0xDEADBEEF, Handshake.Version, NodeRole.Client, 5, new byte[32]);
                return await RejectedAsync(peer, RejectCode.BadMagic, "bad magic");
            case BadInputCase.WrongRole when target == Target.Primary:
            {
                var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Backup, 3), server));
                Assert.Equal(RejectCode.BadRole, e.Code);
                return await ClosedSilently(peer, Expect.Rejected);
            }
            case BadInputCase.WrongRole:
                await peer.HandshakeAsync(cluster.Key, client, server);
                peer.SendFrame(MessageType.Delta, new byte[40]);
                return await ClosedSilently(peer);
            case BadInputCase.UnknownPrimaryId when target == Target.Primary:
            {
                var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Primary, 999), server));
                Assert.Equal(RejectCode.BadRole, e.Code);
                return await ClosedSilently(peer, Expect.Rejected);
            }
            case BadInputCase.UnknownPrimaryId:
            {
                // Refused in the handshake: the configuration names no primary 999, whatever key it holds.
                var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() => peer.HandshakeAsync(cluster.Key, new PeerIdentity(NodeRole.Primary, 999), server));
                Assert.Equal(RejectCode.UnknownNode, e.Code);
                return await ClosedSilently(peer, Expect.Rejected);
            }
            case BadInputCase.SilentPeer:
                await peer.ReadChallengeAsync();
                return await ClosedSilently(peer, within: TimeSpan.FromSeconds(15));
            default:
                throw new ArgumentOutOfRangeException(nameof(bad), bad, null);
        }
    }

    /// <summary>The warning the server logged about the bad connection (its stderr is pumped asynchronously, so wait a little).</summary>
    private static async Task<string> LoggedReasonAsync(NodeProcess victim, long mark)
    {
        for (int i = 0; i < 100; i++)
        {
            if (victim.Log.Since(mark).FirstOrDefault(l => l.Contains(" warn: ", StringComparison.Ordinal)) is { } line) return line;
            await Task.Delay(50);
        }
        Assert.Fail($"{victim} logged no warning about the bad connection");
        return "";
    }

    private static async Task<Expect> ClosedSilently(RawPeer peer, Expect expect = Expect.ProtocolError, TimeSpan? within = null)
    {
        var frames = await peer.ExpectClosedAsync(within);
        Assert.True(frames.Count == 0, $"the server answered bad input with {string.Join(", ", frames.Select(f => f.Type))} instead of closing");
        return expect;
    }

    private static async Task<Expect> RejectedAsync(RawPeer peer, RejectCode code, string reason)
    {
        var frames = await peer.ExpectClosedAsync();
        var (type, payload) = Assert.Single(frames);
        Assert.Equal(MessageType.Reject, type);
        Assert.Equal(code, (RejectCode)payload[0]);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(1));
        Assert.Equal(payload.Length, 3 + length);
        Assert.Contains(reason, Encoding.UTF8.GetString(payload, 3, length));
        return Expect.Rejected;
    }
}
