using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Core.Replication;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Fuzz;

/// <summary>
/// The seed corpus: valid frames built by the protocol's own writers (captured off a loopback socket), so AFL starts
/// from inputs every reader accepts and mutates from there.
/// </summary>
internal static class Seeds
{
    public static int Write(Targets targets, string dir)
    {
        Directory.CreateDirectory(dir);
        int n = 0;
        void Seed(int target, NodeRole role, MessageType type, ReadOnlySpan<byte> payload)
        {
            byte[] input = [(byte)target, (byte)((byte)role - 1), (byte)type, .. payload];
            File.WriteAllBytes(Path.Combine(dir, $"t{target:00}-{type}-{n++}"), input);
        }
        void Captured(int target, NodeRole role, Action<Connection> write)
        {
            foreach ((MessageType type, byte[] payload) in Capture(write)) Seed(target, role, type, payload);
        }

        ulong[] words = [0x0123456789abcdef, 0, ulong.MaxValue];
        // Backup, as a primary would talk to it.
        Seed(0, NodeRole.Primary, MessageType.Attach, [.. Le(0L), .. Le(0L), .. Le(0L), 1]);
        Captured(0, NodeRole.Primary, c => DeltaWire.Enqueue(c, MessageType.Delta, 1, 0, new Delta(130, 0, words)));
        Seed(0, NodeRole.Primary, MessageType.Status, Le(7UL));
        Seed(0, NodeRole.Client, MessageType.Stats, Le(7UL));
        // Data node, as a manager and a client would.
        Captured(1, NodeRole.Manager, c => MembershipWire.EnqueueHello(c, 0, 42, null));
        Captured(1, NodeRole.Manager, c => AbcastWire.EnqueueFinal(c, new FinalMessage(new MessageId(0, 1), 5, 1, 0)));
        Captured(1, NodeRole.Manager, c => AbcastWire.EnqueueMarker(c, new EpochMarker(0, 1)));
        Seed(1, NodeRole.Client, MessageType.Count, Le(7UL));
        Seed(1, NodeRole.Client, MessageType.Get, [.. Le(7UL), .. Le(0L)]);
        // Manager, as a client would.
        Seed(2, NodeRole.Client, MessageType.Append, [.. Le(7UL), .. Le(0), 1]);
        Seed(2, NodeRole.Client, MessageType.Set, [.. Le(7UL), .. Le(0), .. Le(0L), 1]);
        Seed(2, NodeRole.Client, MessageType.Stats, [.. Le(7UL), .. Le(0)]);
        // Handshake: a Hello the server accepts, a Challenge, a Reject.
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        var client = new PeerIdentity(NodeRole.Client, 9);
        foreach ((int slot, NodeRole server) in new[] { (0, NodeRole.Backup), (1, NodeRole.DataNode), (2, NodeRole.Manager) })
        {
            byte[] message = [.. "BFSN/hello"u8, .. new byte[32], .. nonce, (byte)client.Role, 9, 0, (byte)server, 1, 0];
            byte[] mac = HMACSHA256.HashData(ClusterKey.DeriveRoleKey(Convert.FromHexString(Targets.KeyHex), NodeRole.Client), message);
            Seed(3, (NodeRole)(slot + 1), MessageType.Hello, [.. Le(Handshake.Magic), .. Le(Handshake.Version), (byte)client.Role, 9, 0, .. nonce, .. mac]);
        }
        Seed(4, NodeRole.Client, MessageType.Challenge, [.. Le(Handshake.Magic), .. Le(Handshake.Version), (byte)NodeRole.Backup, 1, 0, .. nonce]);
        Seed(5, NodeRole.Client, MessageType.Reject, [3, 5, 0, .. "nope."u8]);
        // The pure readers.
        Captured(6, NodeRole.Primary, c => DeltaWire.Enqueue(c, MessageType.Delta, 1, 0, new Delta(130, 0, words)));
        // A length past 2^31 bits (a 10^10-bit list's last words): lengths and positions are i64 on the wire.
        Captured(6, NodeRole.Primary, c => DeltaWire.Enqueue(c, MessageType.Delta, 1, 0, new Delta(10_000_000_000, 156_249_997, words)));
        Captured(7, NodeRole.Primary, c => BulkCodec.Enqueue(c, MessageType.Bits, Le(words.Length), words));
        Captured(19, NodeRole.Client, c => ChunkCodec.Enqueue(c, MessageType.BitsChunk, default, words, 2));
        Captured(8, NodeRole.Client, c => NodeStats.Send(c, 7, 130, 3, new NetCounters()));
        Captured(9, NodeRole.Client, c => SampleReply.Send(c, 7, [1.5f, 2.5f]));
        Captured(10, NodeRole.Client, c => Replies.Error(c, 7, ErrorCode.OutOfRange, "index 9 is past the end"));
        Captured(11, NodeRole.DataNode, c => MembershipWire.EnqueueStatus(c, new NodeStatus(42, NodePhase.Serving, 1, 2, 3, 4)));
        Captured(13, NodeRole.Manager, c => MembershipWire.EnqueueReport(c, 7, null));
        Captured(14, NodeRole.Manager, c => AbcastWire.EnqueueFinal(c, new FinalMessage(new MessageId(0, 1), 5, 1, 0)));
        Captured(15, NodeRole.DataNode, c => AbcastWire.EnqueuePropose(c, new ProposalMessage(new MessageId(0, 1), 5)));
        Captured(16, NodeRole.DataNode, c => AbcastWire.EnqueueDelivered(c, new DeliveryReport(new MessageId(0, 1), DeliveryStatus.Applied, 3, 4)));
        // Runs of two, as a link that batches sends them.
        Seed(14, NodeRole.Manager, MessageType.AbcastFinal, [.. Le(0), .. Le(1L), .. Le(1L), .. Le(5L), .. Le(0L), .. Le(2L), .. Le(7L), .. Le(0L)]);
        Seed(15, NodeRole.DataNode, MessageType.AbcastPropose, [.. Le(0), .. Le(1L), .. Le(5L), .. Le(2L), .. Le(6L)]);
        Seed(16, NodeRole.DataNode, MessageType.AbcastDelivered, [.. Le(0), .. Le(1L), 0, .. Le(3L), .. Le(4L), .. Le(2L), 1, .. Le(3L), .. Le(0L)]);
        List<(MessageType Type, byte[] Payload)> reports = Capture(c =>
        {
            AbcastWire.EnqueuePropose(c, new ProposalMessage(new MessageId(0, 2), 6));
            AbcastWire.EnqueueDelivered(c, new DeliveryReport(new MessageId(0, 1), DeliveryStatus.Applied, 3, 4));
        });
        // Data: a run of one (the single message) and a run of three with an append-many in the middle, to the
        // data node's handler and to the pure reader.
        var set = new WriteOp { Kind = ListOp.Set, Index = 3, Bit = true };
        WriteOp appendMany = WriteOp.AppendMany(words, 130);
        foreach (int target in new[] { 1, 21 })
        {
            Captured(target, NodeRole.Manager, c => AbcastWire.EnqueueData(c, new DataMessage<WriteOp>(new MessageId(0, 1), 5, 1, new GroupSet(1), 0, set)));
            Seed(target, NodeRole.Manager, MessageType.AbcastData, DataRunPayload(set, appendMany));
        }
        appendMany.Release();
        Seed(20, NodeRole.DataNode, MessageType.Batch, [.. reports.SelectMany(f => (byte[])[.. Le((uint)f.Payload.Length + 1), (byte)f.Type, .. f.Payload])]);
        return n;
    }

    /// <summary>A run of three data messages of sender 0, seqs 1–3, as a link that batches sends them.</summary>
    private static byte[] DataRunPayload(WriteOp first, WriteOp second)
    {
        List<(MessageType Type, byte[] Payload)> single = Capture(c =>
        {
            AbcastWire.EnqueueData(c, new DataMessage<WriteOp>(new MessageId(0, 1), 5, 1, new GroupSet(1), 0, first));
            AbcastWire.EnqueueData(c, new DataMessage<WriteOp>(new MessageId(0, 2), 6, 1, new GroupSet(1), 0, second));
            AbcastWire.EnqueueData(c, new DataMessage<WriteOp>(new MessageId(0, 3), 7, 1, new GroupSet(1), 1, first));
        });
        // The capture's link does not batch: each is a run of one; a run is their items behind one sender.
        return [.. single[0].Payload, .. single.Skip(1).SelectMany(f => f.Payload[DataRun.HeadBytes..])];
    }

    private static byte[] Le(ulong v) => BitConverter.GetBytes(v);
    private static byte[] Le(long v) => BitConverter.GetBytes(v);
    private static byte[] Le(int v) => BitConverter.GetBytes(v);
    private static byte[] Le(uint v) => BitConverter.GetBytes(v);
    private static byte[] Le(ushort v) => BitConverter.GetBytes(v);

    /// <summary>The frames a writer produces, read back off a loopback socket.</summary>
    private static List<(MessageType, byte[])> Capture(Action<Connection> write)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(listener.LocalEndPoint!);
        using Socket far = listener.Accept();
        using (var c = new Connection(socket, "seed writer"))
        {
            write(c);
            c.Flush();
        }
        var bytes = new List<byte>();
        byte[] buffer = new byte[1 << 16];
        int got;
        while ((got = far.Receive(buffer)) > 0) bytes.AddRange(buffer.AsSpan(0, got));
        var frames = new List<(MessageType, byte[])>();
        byte[] all = [.. bytes];
        for (int at = 0; at + 4 <= all.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(at));
            frames.Add(((MessageType)all[at + 4], all.AsSpan(at + 5, length - 1).ToArray()));
            at += 4 + length;
        }
        return frames;
    }
}
