using System.Buffers.Binary;
using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Harness;

/// <summary>A data node's Stats reply: its replica and its connection counters.</summary>
internal sealed record DataNodeStats(long Length, long Position, byte Phase, long Incarnation, long Epoch, int Pending, long Ignored,
    long Accepted, long Rejected, long ProtocolErrors, long HandshakeOverflows, long SlowConsumers, long BytesSent, long FramesSent);

/// <summary>A manager's Stats reply: its place in the view, its writes and reads in flight, and its counters.</summary>
internal sealed record ManagerStats(long Epoch, int Sender, bool Coordinator, int WritesInFlight, int ReadsInFlight, long Completed,
    long Divergences, long Accepted, long Rejected, long ProtocolErrors, long HandshakeOverflows, long SlowConsumers, long BytesSent, long FramesSent);

/// <summary>Asks managers and data nodes about themselves over the protocol (role client; Stats is open to clients).</summary>
internal static class ReplicationProbe
{
    public static async Task<DataNodeStats> DataNodeAsync(EndPoint node, ClusterKey key, ushort nodeId, CancellationToken cancellation = default)
    {
        byte[] payload = await AskAsync(node, key, new PeerIdentity(NodeRole.DataNode, nodeId), [], cancellation).ConfigureAwait(false);
        var r = new PayloadReader(payload);
        r.U64();
        var stats = new DataNodeStats(r.I64(), r.I64(), r.U8(), r.I64(), r.I64(), r.I32(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
        r.End();
        return stats;
    }

    /// <summary>A manager's requests carry a group; Stats is the same for any, so group 0 is asked.</summary>
    public static async Task<ManagerStats> ManagerAsync(EndPoint manager, ClusterKey key, ushort managerId, CancellationToken cancellation = default)
    {
        byte[] payload = await AskAsync(manager, key, new PeerIdentity(NodeRole.Manager, managerId), [0, 0, 0, 0], cancellation).ConfigureAwait(false);
        var r = new PayloadReader(payload);
        r.U64();
        var stats = new ManagerStats(r.I64(), r.I32(), r.Bool(), r.I32(), r.I32(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
        r.End();
        return stats;
    }

    private static async Task<byte[]> AskAsync(EndPoint server, ClusterKey key, PeerIdentity role, byte[] rest, CancellationToken cancellation)
    {
        using Connection connection = await Dialer.ConnectAsync(server, key, new PeerIdentity(NodeRole.Client, 0), role, Frame.DefaultMaxFrameBytes, cancellation).ConfigureAwait(false);
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(id, 1);
        connection.Send(MessageType.Stats, id, rest);
        Frame frame = await connection.ReadAsync(cancellation).ConfigureAwait(false);
        if (frame.IsEnd) throw new IOException($"{role} at {server} closed the connection instead of answering Stats: {connection.CloseReason}");
        if (frame.Type != MessageType.StatsReply) throw new ProtocolException($"{role} at {server} answered Stats with frame type {frame.Type}.");
        return frame.Payload.ToArray();
    }
}
