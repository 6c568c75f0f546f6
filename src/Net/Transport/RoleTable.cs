using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Authority in one place: which roles a server of each role admits, and which frames each admitted role may send
/// it. The handshake refuses a pairing that is not here; <see cref="FrameServer"/> closes a connection whose peer
/// sends a frame its row does not list. A row without a frame list lets that peer send any frame type the protocol
/// defines (the server's handler still refuses those it does not serve); an undefined type is refused here.
/// </summary>
internal static class RoleTable
{
    private static readonly (NodeRole Server, NodeRole Peer, MessageType[]? Frames)[] Rows =
    [
        (NodeRole.Backup, NodeRole.Primary, null),
        (NodeRole.Backup, NodeRole.Client, [MessageType.Stats, MessageType.ReadAll]),
        (NodeRole.Primary, NodeRole.Client, null),
        (NodeRole.Manager, NodeRole.Client, null),
        (NodeRole.Manager, NodeRole.Manager, null),
        (NodeRole.DataNode, NodeRole.Manager, null),
        (NodeRole.DataNode, NodeRole.DataNode, [MessageType.State, MessageType.StateChunk]),
        (NodeRole.DataNode, NodeRole.Client, [MessageType.Stats, MessageType.Get, MessageType.Count, MessageType.ReadAll]),
    ];

    // Links whose two ends send each other batches (MessageType.Batch), listed as (reader, peer) both ways: a
    // batch is unpacked by the connection before any row above is consulted, and each frame inside it is checked
    // against its row like any other. Nowhere else is a batch accepted, whatever a row lets the peer send.
    private static readonly (NodeRole Reader, NodeRole Peer)[] BatchLinks =
    [
        (NodeRole.DataNode, NodeRole.Manager),
        (NodeRole.Manager, NodeRole.DataNode),
    ];

    private const int RoleSlots = 8;

    // [server * RoleSlots + peer] → one bit per frame type; absent (null) when the pairing is refused.
    private static readonly bool[]?[] Allowed = Build();

    public static bool Admits(NodeRole server, NodeRole peer) => Mask(server, peer) is not null;

    public static bool Allows(NodeRole server, NodeRole peer, MessageType type) => Mask(server, peer) is { } mask && mask[(byte)type];

    /// <summary>Whether a connection of <paramref name="reader"/> to <paramref name="peer"/> (accepted or dialed) batches Skeen's frames both ways.</summary>
    public static bool Batches(NodeRole reader, NodeRole peer) => Array.IndexOf(BatchLinks, (reader, peer)) >= 0;

    private static bool[]? Mask(NodeRole server, NodeRole peer) =>
        (uint)server < RoleSlots && (uint)peer < RoleSlots ? Allowed[(int)server * RoleSlots + (int)peer] : null;

    private static bool[]?[] Build()
    {
        var table = new bool[]?[RoleSlots * RoleSlots];
        foreach ((NodeRole server, NodeRole peer, MessageType[]? frames) in Rows)
        {
            var mask = new bool[256];
            if (frames is null)
            {
                foreach (MessageType t in Enum.GetValues<MessageType>()) mask[(byte)t] = true;
            }
            else foreach (MessageType t in frames) mask[(byte)t] = true;
            // The handshake is over once a connection is served: its frames are never valid again. A batch never
            // reaches a handler: the connection unpacks it (BatchLinks).
            foreach (MessageType t in (ReadOnlySpan<MessageType>)[MessageType.Challenge, MessageType.Hello, MessageType.Welcome, MessageType.Reject, MessageType.Batch])
                mask[(byte)t] = false;
            table[(int)server * RoleSlots + (int)peer] = mask;
        }
        return table;
    }
}
