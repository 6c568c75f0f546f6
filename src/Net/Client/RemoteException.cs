using BitFusion.Net.Wire;

namespace BitFusion.Net.Client;

/// <summary>The server refused a request; <see cref="Code"/> says why in one word, the message in full.</summary>
public sealed class RemoteException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;
}
