namespace BitFusion.Integration.Tests.BadInput;

/// <summary>A way to misbehave on a connection to a server.</summary>
public enum BadInputCase
{
    /// <summary>After the handshake: a frame length one past the configured maximum.</summary>
    OversizedLength,

    /// <summary>After the handshake: a frame length of zero (no room even for the type byte).</summary>
    ZeroLength,

    /// <summary>After the handshake: a well-formed frame of a type nobody defined.</summary>
    UnknownType,

    /// <summary>After the handshake: the start of a frame, then end of stream.</summary>
    TruncatedFrame,

    /// <summary>After the handshake: a known request whose payload is too short (primary: Set without its bit; backup: a 20-byte Delta).</summary>
    ShortPayload,

    /// <summary>After the handshake: a payload of the right size holding nonsense (primary: Append of bit 7; backup: a Snapshot whose LZ4 block is garbage).</summary>
    CorruptPayload,

    /// <summary>Bytes that are not frames (an HTTP request) instead of a Hello.</summary>
    GarbageBeforeHandshake,

    /// <summary>A well-formed request frame instead of a Hello.</summary>
    RequestBeforeHandshake,

    /// <summary>A Hello from a peer that does not hold the cluster key.</summary>
    WrongKey,

    /// <summary>A Hello that speaks another protocol version.</summary>
    WrongVersion,

    /// <summary>A Hello with the wrong magic number.</summary>
    WrongMagic,

    /// <summary>Primary: a backup-role peer (refused in the handshake). Backup: a client that sends a Delta.</summary>
    WrongRole,

    /// <summary>A primary-role peer whose id is not a primary of the cluster (primary: refused; backup: closed on Attach).</summary>
    UnknownPrimaryId,

    /// <summary>Connects and never says Hello.</summary>
    SilentPeer,
}
