using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// The adapter's record of a client's write while <see cref="Core.Replication.WriteTable{TTag}"/> tracks it: who to
/// answer (a retry may point it elsewhere), the client's name for it, and what the answer needs. Pooled per manager.
/// </summary>
internal sealed class PendingWrite
{
    public Connection? Client;
    public ulong RequestId;

    /// <summary>The client's name for this write, so a retry can find it and its result can be remembered.</summary>
    public ulong ClientId;
    public ulong ClientSeq;
    public long Started;
    public ListOp Kind;
    public int Index;
}
