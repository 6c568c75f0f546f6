using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Replication;

/// <summary>
/// A client's write as a manager receives it: the client's name for it (id, seq, whether it is sent again after a
/// lost connection), its group, what it does (for the answer's wording), the payload to multicast and when it
/// arrived (the adapter's clock, for update times).
/// </summary>
internal readonly record struct WriteRequest<TPayload>(ulong ClientId, ulong ClientSeq, bool Resend, int Group, ListOp Kind, long Index, TPayload Payload, long Started);
