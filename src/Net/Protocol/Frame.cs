namespace BitFusion.Net.Protocol;

/// <summary>
/// Wire layout: <c>u32 length (LE) | u8 type | payload</c>, where length counts the type byte and the payload.
/// A received frame's payload points into the connection's receive buffer and is valid until the next read.
/// </summary>
internal readonly struct Frame(MessageType type, ReadOnlyMemory<byte> payload)
{
    public const int HeaderSize = 5;
    public const int DefaultMaxFrameBytes = 64 << 20;

    // default(Frame) is the end of the stream; a frame read off the wire never is, whatever its type byte says (a
    // peer sending type 0 broke the protocol, it did not close cleanly).
    private readonly bool _received = true;

    public MessageType Type { get; } = type;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public bool IsEnd => !_received;

    public PayloadReader Reader() => new(Payload.Span);
}
