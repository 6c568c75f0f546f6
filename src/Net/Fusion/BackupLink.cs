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
    /// <summary>
    /// A restarted backup is re-encoded only once every primary has dialed it again, so a pause between dials is time
    /// the backup spends useless: the first redial is at once and the pause stays at most <see cref="FastMaxDelayMs"/>
    /// for <see cref="FastWindowMs"/> (a process restart, even on a loaded machine), so the backup is reached within
    /// about a millisecond of listening. The last of the n primaries to find it sets when its re-encode can end: at a
    /// 2 ms pause, traces at load ≈ 30 saw the last of 3 primaries arrive 1.2–6 ms after the backup listened. An
    /// outage that lasts backs off to <see cref="SlowMaxDelayMs"/>, so a backup that is gone costs its primaries a
    /// dial every few hundred milliseconds, not a busy loop.
    /// </summary>
    internal const int FastMaxDelayMs = 1, FastWindowMs = 5000, SlowMaxDelayMs = 200;

    public int Index { get; } = index;

    public async Task RunAsync(CancellationToken cancellation)
    {
        string where = $"{node.Host}:{node.Port}";
        var backoff = new DialBackoff(FastMaxDelayMs, FastWindowMs, SlowMaxDelayMs);
        while (!cancellation.IsCancellationRequested)
        {
            Connection connection;
            try
            {
                connection = await DialAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HandshakeRejectedException e)
            {
                // A rejection is a configuration fault (key, role, certificate), not a restart: no point dialing fast.
                owner.DialRefused(Index);
                Log.Warn($"backup {Index} at {where} rejected this primary: {e.Message}");
                if (!await PauseAsync(1000, cancellation).ConfigureAwait(false)) return;
                continue;
            }
            catch (Exception e) when (e is SocketException or ProtocolException or IOException)
            {
                if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) owner.DialRefused(Index);
                if (!await PauseAsync(backoff.Next(Environment.TickCount64), cancellation).ConfigureAwait(false)) return;
                continue;
            }
            backoff.Reset();
            await FrameLoop.RunAsync(connection, this, owner.Counters, cancellation, owner.Cluster.Config.HeartbeatMs).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The link comes up as the Hello goes out, so the role's Attach rides with it and the backup answers it with
    /// its Welcome, a round trip sooner; a dial that then fails takes the link down again.
    /// </summary>
    private async Task<Connection> DialAsync(CancellationToken cancellation)
    {
        Connection? linked = null;
        try
        {
            return await Dialer.ConnectAsync(Cluster.EndPointOf(node), owner.Cluster.Key, new PeerIdentity(NodeRole.Primary, owner.NodeId),
                Cluster.IdentityOf(node), owner.Cluster.Config.MaxFrameBytes, cancellation, owner.Cluster.Config.MaxSendQueueBytes ?? 0,
                c =>
                {
                    linked = c;
                    owner.LinkUp(Index, c);
                }).ConfigureAwait(false);
        }
        catch when (linked is not null)
        {
            owner.LinkDown(Index, linked);
            throw;
        }
    }

    private static async Task<bool> PauseAsync(int ms, CancellationToken cancellation)
    {
        if (ms == 0) return !cancellation.IsCancellationRequested;
        try
        {
            await Task.Delay(ms, cancellation).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Nothing to do: the link came up when the dial sent its Hello (<see cref="DialAsync"/>).</summary>
    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame) => owner.FromBackup(Index, connection, frame);

    public void OnClose(Connection connection) => owner.LinkDown(Index, connection);
}
