using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>A client's read, relayed to one serving replica of its group; sent to another if that one goes away. Pooled.</summary>
internal sealed class PendingRead
{
    public Connection? Client;
    public ulong RequestId;
    public int Group;
    public MessageType Kind;
    public int Index;
    public int Node;
    public int Attempts;
}
