using System.Buffers.Binary;
using System.Net.Sockets;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using CsCheck;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>
/// Stateful fuzzing of a live primary and backup (in-process, real loopback connections). CsCheck builds sequences
/// of valid frames from the writers (<see cref="FramePool"/>), damages them (bit flips, length edits, truncation,
/// splicing, reordering, frames of another role, a client key claiming to be a primary) and sends each on a fresh
/// client connection. After every sequence: both nodes still serve, the primary's list equals the model and the
/// backup's coded copy (f = 1, n = 1: the XOR is the list), and a sequence a server must refuse moved its error
/// counters while a valid one did not. BITFUSION_FUZZ_FRAMES sets the budget (CI: 2,000 frames);
/// BITFUSION_FUZZ_SEED replays the stream a failure names.
/// </summary>
public sealed class StatefulFuzzTests(ITestOutputHelper output)
{
    private const int MeanFramesPerAttack = 6;

    private enum Edit : byte { Flip, Length, Truncate, Splice, Swap }

    private sealed record Attack(bool AtBackup, bool ClaimPrimary, byte[][] Frames, (Edit Kind, int A, int B)[] Edits)
    {
        public override string ToString() =>
            $"{(AtBackup ? "backup" : "primary")}{(ClaimPrimary ? " as primary" : "")}: {Frames.Length} frames [{string.Join(", ", Frames.Select(f => (MessageType)f[4]))}] edits [{string.Join(", ", Edits)}]";
    }

    private static Gen<Attack> Attacks()
    {
        Gen<byte[]> Frame(byte[][] allowed) => Gen.Frequency((8, Gen.OneOf(allowed)), (2, Gen.OneOf(FramePool.WrongRole)));
        Gen<(Edit, int, int)> edit = Gen.Select(Gen.Enum<Edit>(), Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue]);
        return Gen.Bool.SelectMany(atBackup => Gen.Select(
            Gen.Const(atBackup),
            Gen.Int[0, 19].Select(i => i == 0),
            Frame(atBackup ? FramePool.BackupReads : FramePool.PrimaryReads).Array[1, 2 * MeanFramesPerAttack - 1],
            Gen.Frequency((2, edit.Array[0, 0]), (8, edit.Array[1, 3])),
            (b, c, f, e) => new Attack(b, c, f, e)));
    }

    /// <summary>The bytes actually sent: frames reordered, then edited in place.</summary>
    private static byte[] Bytes(Attack attack)
    {
        byte[][] frames = [.. attack.Frames];
        foreach ((Edit kind, int a, int b) in attack.Edits)
            if (kind == Edit.Swap) (frames[a % frames.Length], frames[b % frames.Length]) = (frames[b % frames.Length], frames[a % frames.Length]);
        var bytes = new List<byte>(frames.SelectMany(f => f));
        foreach ((Edit kind, int a, int b) in attack.Edits)
        {
            switch (kind)
            {
                case Edit.Flip:
                    bytes[a % bytes.Count] ^= (byte)(1 << (b & 7));
                    break;
                case Edit.Length:
                {
                    int at = 0;
                    for (int skip = a % frames.Length, i = 0; i < skip && at + 4 <= bytes.Count; i++) at += 4 + (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian([.. bytes.GetRange(at, 4)]), (uint)bytes.Count);
                    if (at + 4 > bytes.Count) break;
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian([.. bytes.GetRange(at, 4)]);
                    uint edited = (b % 5) switch { 0 => 0, 1 => length - 1, 2 => length + 1, 3 => uint.MaxValue, _ => (uint)b };
                    byte[] le = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(le, edited);
                    for (int i = 0; i < 4; i++) bytes[at + i] = le[i];
                    break;
                }
                case Edit.Truncate:
                    bytes.RemoveRange(a % bytes.Count, bytes.Count - a % bytes.Count);
                    if (bytes.Count == 0) bytes.Add(0);
                    break;
                case Edit.Splice:
                    bytes.InsertRange(a % bytes.Count, FramePool.WrongRole[b % FramePool.WrongRole.Length].Take(1 + b % 40));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>
    /// The oracle. Refuse: some frame is one a client may not send this server, or the bytes do not end on a frame
    /// boundary. MayWrite: a whole frame at the primary carries a write type (a bit flip can make a valid write
    /// out of a read, and a client may write), so the model must follow the primary. When neither, every frame is a
    /// valid read and no counter may move.
    /// </summary>
    private static (bool Refuse, bool MayWrite) Judge(byte[] bytes, bool atBackup, int maxFrameBytes)
    {
        (List<(MessageType Type, int PayloadBytes)> frames, bool whole) = FramePool.Split(bytes, maxFrameBytes);
        bool refuse = !whole, mayWrite = false;
        foreach ((MessageType type, int payload) in frames)
        {
            bool read = atBackup ? type is MessageType.Stats or MessageType.ReadAll : FramePool.ReadPayloadBytes(type) is not null;
            if (read) refuse |= FramePool.ReadPayloadBytes(type) != payload;
            else if (!atBackup && type is >= MessageType.Append and <= MessageType.AppendMany) mayWrite = true;
            else refuse = true;
        }
        return (refuse, mayWrite);
    }

    [Fact]
    public async Task DamagedFrameSequencesLeaveBothNodesServingAndTheListsIntact()
    {
        long frames = long.TryParse(Environment.GetEnvironmentVariable("BITFUSION_FUZZ_FRAMES"), out long f) ? f : 2_000;
        Cluster cluster = Cluster.FromConfig(ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0));
        ClusterKey clientKey = cluster.Key.ClientKey();
        using var backup = new BackupNode(cluster, cluster.Backups[0].Id);
        backup.Start();
        using PrimaryNode primary = await PrimaryNode.StartAsync(cluster, cluster.Primaries[0].Id);
        PeerIdentity primaryIs = Cluster.IdentityOf(cluster.Primaries[0]), backupIs = Cluster.IdentityOf(cluster.Backups[0]);
        using BitListClient honest = await BitListClient.ConnectAsync(primary.EndPoint, clientKey, primaryIs, 1);
        var model = new List<bool>();
        var rng = new Random(1);
        long sent = 0, refused = 0, resynced = 0, attacked = 0;
        // A whole-list comparison costs the list's length, which grows with every attack; long campaigns compare
        // every 256th attack (and every one that may have written) so that 10^6 frames take minutes, not hours.
        int compareEvery = frames > 100_000 ? 256 : 1;

        // One seeded stream of attacks against one pair of nodes: state carries over, so a failure replays only
        // from the start of the stream (shrinking one sample would mean nothing).
        ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("BITFUSION_FUZZ_SEED"), out ulong s) ? s : (ulong)Random.Shared.NextInt64();
        var pcg = new PCG(1, seed);
        Gen<Attack> attacks = Attacks();
        for (long index = 0; sent < frames; index++)
        {
            Attack attack = attacks.Generate(pcg, null, out _);
            try
            {
                await RunOne(attack);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"attack {index} failed ({attack}; bytes {Convert.ToHexString(Bytes(attack))}); replay with BITFUSION_FUZZ_SEED={seed} BITFUSION_FUZZ_FRAMES={frames}: {e.Message}", e);
            }
        }
        await CompareAsync();
        output.WriteLine($"seed {seed}: {sent} frames in damaged sequences; {refused} sequences refused; {resynced} carried a write made by a bit flip; " +
                         $"primary errors {primary.Counters.ProtocolErrors} rejected {primary.Counters.Rejected}; backup errors {backup.Counters.ProtocolErrors} rejected {backup.Counters.Rejected}; list {model.Count} bits");

        async Task RunOne(Attack attack)
        {
            byte[] bytes = Bytes(attack);
            NetCounters counters = attack.AtBackup ? backup.Counters : primary.Counters;
            long errorsBefore = counters.ProtocolErrors + counters.Rejected;
            using (RawPeer peer = await RawPeer.ConnectAsync(attack.AtBackup ? backup.EndPoint : primary.EndPoint))
            {
                if (attack.ClaimPrimary)
                {
                    // The client key claiming a node role: refused in the handshake, whatever follows.
                    var e = await Assert.ThrowsAsync<HandshakeRejectedException>(() =>
                        peer.HandshakeAsync(ClusterKey.Parse(clientKey.ClientKeyHex()), new PeerIdentity(NodeRole.Primary, primaryIs.NodeId), attack.AtBackup ? backupIs : primaryIs));
                    Assert.True(e.Code is RejectCode.BadKey or RejectCode.BadRole, e.Message);
                }
                else
                {
                    await peer.HandshakeAsync(clientKey, new PeerIdentity(NodeRole.Client, 2), attack.AtBackup ? backupIs : primaryIs);
                    try
                    {
                        peer.Send(bytes);
                        peer.EndSending();
                    }
                    catch (SocketException)
                    {
                        // The server closed on an early bad frame while the rest was still on its way.
                    }
                }
                await peer.ExpectClosedAsync();
            }
            sent += attack.Frames.Length;
            (bool refuse, bool mayWrite) = attack.ClaimPrimary ? (true, false) : Judge(bytes, attack.AtBackup, cluster.Config.MaxFrameBytes);
            long moved = counters.ProtocolErrors + counters.Rejected - errorsBefore;
            if (refuse)
            {
                Assert.True(moved >= 1, "refused bytes moved no error counter");
                refused++;
            }
            else if (!mayWrite)
            {
                Assert.True(moved == 0, $"valid frames counted {moved} errors");
            }

            if (mayWrite)
            {
                BitsResult now = await honest.ReadAllAsync();
                model.Clear();
                for (int i = 0; i < now.Length; i++) model.Add(((now.Words[i >> 6] >> (i & 63)) & 1) != 0);
                resynced++;
            }
            bool bit = rng.Next(2) == 1;
            Assert.Equal(model.Count + 1, await honest.AppendAsync(bit));
            model.Add(bit);
            if (++attacked % compareEvery == 0 || mayWrite) await CompareAsync();
        }

        async Task CompareAsync()
        {
            BitsResult bits = await honest.ReadAllAsync();
            Assert.Equal(model.Count, bits.Length);
            for (int i = 0; i < model.Count; i++) Assert.Equal(model[i], ((bits.Words[i >> 6] >> (i & 63)) & 1) != 0);
            Assert.Equal(model.Count, backup.State.Length(0));
            Assert.True(bits.Words.AsSpan(0, Core.Bits.Delta.WordsFor(model.Count)).SequenceEqual(backup.State.Words), "the backup's coded copy differs from the primary");
        }
    }
}
