using System.Net.Sockets;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A primary's connection to one backup: dials it, redials whenever the connection ends (the primary's role may
/// close it on a suspicion), and hands every event to the owner's role. A dial that finds nothing listening tells
/// the role the backup is down; one that connects but gets no handshake (a paused process) tells it nothing, and
/// the role suspects the backup once it stays silent.
/// </summary>
internal sealed class BackupLink(FusedBitList owner, int index, NodeConfig node) : IFrameHandler
{
    public int Index { get; } = index;

    public async Task RunAsync(CancellationToken cancellation)
    {
        string where = $"{node.Host}:{node.Port}";
        while (!cancellation.IsCancellationRequested)
        {
            Connection connection;
            try
            {
                connection = await Dialer.ConnectWithRetryAsync(Cluster.EndPointOf(node), owner.Cluster.Key,
                    new PeerIdentity(NodeRole.Primary, owner.NodeId), Cluster.IdentityOf(node), owner.Cluster.Config.MaxFrameBytes, cancellation,
                    e =>
                    {
                        if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) owner.DialRefused(Index);
                    }, owner.Cluster.Config.MaxSendQueueBytes ?? 0).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HandshakeRejectedException e)
            {
                owner.DialRefused(Index);
                Log.Warn($"backup {Index} at {where} rejected this primary: {e.Message}");
                try
                {
                    await Task.Delay(1000, cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            await FrameLoop.RunAsync(connection, this, owner.Counters, cancellation, owner.Cluster.Config.HeartbeatMs).ConfigureAwait(false);
        }
    }

    public void OnOpen(Connection connection) => owner.LinkUp(Index, connection);

    public void OnFrame(Connection connection, in Frame frame) => owner.FromBackup(Index, connection, frame);

    public void OnClose(Connection connection) => owner.LinkDown(Index, connection);
}
