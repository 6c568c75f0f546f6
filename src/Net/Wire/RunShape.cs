using System.Buffers.Binary;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>The shape every run shares: a head that starts with the sender, then at least one whole item.</summary>
internal static class RunShape
{
    public static int Sender(ReadOnlySpan<byte> payload, string what, int headBytes, int itemBytes)
    {
        int items = payload.Length - headBytes;
        if (items < itemBytes || items % itemBytes != 0)
            throw new ProtocolException($"A run of {what}s takes a {headBytes}-byte head and whole {itemBytes}-byte items, at least one; this one has {payload.Length} bytes.");
        int sender = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (sender < 0) throw new ProtocolException($"A run of {what}s names sender {sender}.");
        return sender;
    }
}
