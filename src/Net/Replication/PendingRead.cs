using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>A client's read as the <see cref="BitFusion.Core.Replication.ReadRelay{TRead}"/> carries it: who asked, and what to read. Pooled.</summary>
internal sealed class PendingRead
{
    public Connection? Client;
    public ulong RequestId;
    public MessageType Kind;
    public long Index;
}
