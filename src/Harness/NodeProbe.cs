using System.Buffers.Binary;
using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Harness;

/// <summary>Asks any node (primary, backup, manager, data node) for its Stats over a short-lived client connection.</summary>
internal static class NodeProbe
{
    public static async Task<NodeStats> StatsAsync(EndPoint node, ClusterKey key, PeerIdentity server, CancellationToken cancellation = default)
    {
        using Connection connection = await Dialer.ConnectAsync(node, key, new PeerIdentity(NodeRole.Client, 0), server, Frame.DefaultMaxFrameBytes, cancellation).ConfigureAwait(false);
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(id, 1);
        connection.Send(MessageType.Stats, id);
        Frame frame = await connection.ReadAsync(cancellation).ConfigureAwait(false);
        if (frame.IsEnd) throw new IOException($"{server} at {node} closed the connection instead of answering Stats: {connection.CloseReason}");
        if (frame.Type != MessageType.StatsReply) throw new ProtocolException($"{server} at {node} answered Stats with frame type {frame.Type}.");
        return NodeStats.Read(frame.Payload.Span);
    }
}
