using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>Puts <see cref="RoleTable"/> in front of a server's handler: a frame the peer's role may not send closes its connection.</summary>
internal sealed class RoleGuard(NodeRole server, IFrameHandler inner) : IFrameHandler
{
    public void OnOpen(Connection connection) => inner.OnOpen(connection);

    public void OnFrame(Connection connection, in Frame frame)
    {
        if (!RoleTable.Allows(server, connection.Peer.Role, frame.Type))
            throw new ProtocolException($"A {connection.Peer.Role} may not send frame type {(byte)frame.Type} to a {server}.");
        inner.OnFrame(connection, frame);
    }

    public void OnBatchEnd(Connection connection) => inner.OnBatchEnd(connection);

    public void OnClose(Connection connection) => inner.OnClose(connection);
}
