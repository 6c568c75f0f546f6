using BitFusion.Net.Wire;

namespace BitFusion.Net.Client;

/// <summary>The server refused a request; <see cref="Code"/> says why in one word, the message in full.</summary>
public sealed class RemoteException(ErrorCode code, string message) : Exception(message)
{
    /// <summary>
    /// Why the server refused: for a write, every code but <see cref="ErrorCode.Unknown"/> means it was not applied.
    /// </summary>
    public ErrorCode Code { get; } = code;
}
