using BitFusion.Net.Protocol;

namespace BitFusion.Net.Fusion;

/// <summary>A reply to a recovery request, copied out of the receive buffer (recovery is rare; clarity wins over pooling).</summary>
internal sealed record Reply(MessageType Type, byte[] Payload);
