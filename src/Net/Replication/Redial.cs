using System.Net;
using System.Net.Sockets;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// Keeps one outgoing connection to a node up for as long as the manager runs: dials, serves the connection with
/// a handler until it closes, dials again. A refused connection is reported (nothing listens there: the process
/// is gone) and retried soon, so a restarted node is reached within milliseconds of listening.
/// </summary>
internal static class Redial
{
    private const int FirstDelayMs = 2;
    private const int MaxDelayMs = 50;

    public static async Task RunAsync(EndPoint endpoint, ManagerNode owner, PeerIdentity server, IFrameHandler handler, Action onRefused, CancellationToken stop)
    {
        int delay = FirstDelayMs;
        while (!stop.IsCancellationRequested)
        {
            Connection connection;
            try
            {
                connection = await Dialer.ConnectAsync(endpoint, owner.Cluster.Key, owner.Identity, server, owner.Cluster.Config.MaxFrameBytes, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HandshakeRejectedException e)
            {
                Log.Warn($"{server} at {endpoint} rejected this manager: {e.Message}");
                if (!await PauseAsync(1000, stop).ConfigureAwait(false)) return;
                continue;
            }
            catch (Exception e) when (e is SocketException or ProtocolException or IOException)
            {
                if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) onRefused();
                if (!await PauseAsync(delay, stop).ConfigureAwait(false)) return;
                delay = Math.Min(delay * 2, MaxDelayMs);
                continue;
            }
            delay = FirstDelayMs;
            await FrameLoop.RunAsync(connection, handler, owner.Counters, stop, owner.Cluster.Config.HeartbeatMs).ConfigureAwait(false);
        }
    }

    private static async Task<bool> PauseAsync(int ms, CancellationToken stop)
    {
        try
        {
            await Task.Delay(ms, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
