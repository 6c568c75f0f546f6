namespace BitFusion.Net.Transport;

/// <summary>Why a server refused a handshake; sent as the first byte of a Reject frame.</summary>
internal enum RejectCode : byte
{
    None = 0,
    BadMagic = 1,
    BadVersion = 2,
    BadKey = 3,
    BadRole = 4,

    /// <summary>The key and role are right but the configuration names no such node.</summary>
    UnknownNode = 5,

    /// <summary>TLS mode: the peer's certificate is not from the cluster CA, or is issued to another role or id than it claims.</summary>
    BadCertificate = 6,
}
