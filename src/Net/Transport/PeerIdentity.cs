namespace BitFusion.Net.Transport;

/// <summary>The authenticated role and node id of the process at the other end of a connection.</summary>
internal readonly record struct PeerIdentity(NodeRole Role, ushort NodeId)
{
    public override string ToString() => $"{Role.ToString().ToLowerInvariant()} {NodeId}";
}
