using BitFusion.Core.Replication;
using BitFusion.Net.Wire;
using BitFusion.Net.Fusion;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// A client's write from its arrival at the manager until it completes: once its final timestamp went to every
/// destination and every destination still in the view has delivered it. Pooled per manager.
/// </summary>
internal sealed class PendingWrite
{
    public Connection? Client;
    public ulong RequestId;

    /// <summary>The client's name for this write, so a retry can find it and its result can be remembered.</summary>
    public ulong ClientId;
    public ulong ClientSeq;
    public int Group;
    public long Started;
    public ListOp Kind;
    public int Index;
    public bool Final;
    public Destination[] Destinations = new Destination[4];
    public int DestinationCount;

    public bool HasResult;
    public DeliveryStatus Status;
    public long Value;
    public long Position;

    public void AddDestination(int node, long incarnation)
    {
        if (DestinationCount == Destinations.Length) Array.Resize(ref Destinations, Destinations.Length * 2);
        Destinations[DestinationCount++] = new Destination { Node = node, Incarnation = incarnation };
    }

    /// <summary>True once every destination delivered the write or left the view.</summary>
    public bool Settled
    {
        get
        {
            for (int i = 0; i < DestinationCount; i++)
                if (!Destinations[i].Done) return false;
            return true;
        }
    }

    public void Reset()
    {
        Client = null;
        Final = HasResult = false;
        DestinationCount = 0;
    }

    public struct Destination
    {
        public int Node;
        public long Incarnation;
        public bool Done;
    }
}
