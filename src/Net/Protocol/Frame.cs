namespace BitFusion.Net.Protocol;

/// <summary>
/// Wire layout: <c>u32 length (LE) | u8 type | payload</c>, where length counts the type byte and the payload.
/// A received frame's payload points into the connection's receive buffer and is valid until the next read.
/// </summary>
public readonly struct Frame(MessageType type, ReadOnlyMemory<byte> payload)
{
    public const int HeaderSize = 5;
    public const int DefaultMaxFrameBytes = 64 << 20;

    public MessageType Type { get; } = type;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public bool IsEnd => Type == 0;

    public PayloadReader Reader() => new(Payload.Span);
}
