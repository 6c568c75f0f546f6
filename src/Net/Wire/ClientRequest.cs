using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// One client request to a primary or a manager, parsed and validated whole (see <see cref="ClientRequestCodec"/>).
/// For a write, <see cref="ClientId"/> and <see cref="ClientSeq"/> name it across retries. The words of an
/// append-many run alias the frame and live as long as it does.
/// </summary>
internal readonly ref struct ClientRequest
{
    public MessageType Type { get; init; }
    public ulong RequestId { get; init; }

    /// <summary>The replica group (to a manager); −1 to a primary.</summary>
    public int Group { get; init; }

    /// <summary>The client's random nonzero id (writes only).</summary>
    public ulong ClientId { get; init; }

    /// <summary>The write's number at its client: 1, 2, 3, … (writes only).</summary>
    public ulong ClientSeq { get; init; }

    /// <summary>The client sent this seq before on a connection that was lost before the answer came.</summary>
    public bool Resend { get; init; }

    public ListOp Op { get; init; }

    /// <summary>The index of a Set, Insert, RemoveAt, SwapRemoveAt or Get.</summary>
    public long Index { get; init; }

    public bool Bit { get; init; }

    /// <summary>The bits of an append-many run (0 for any other request).</summary>
    public int Bits { get; init; }

    public ReadOnlySpan<ulong> Packed { get; init; }

    public bool IsWrite => ClientRequestCodec.IsWrite(Type);
}
