namespace BitFusion.Net.Transport;

/// <summary>The handshake failed on authentication, version or role; <see cref="Exception.Message"/> says which.</summary>
internal sealed class HandshakeRejectedException(RejectCode code, string reason) : Exception(reason)
{
    public RejectCode Code { get; } = code;
}
