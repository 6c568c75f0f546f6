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
    /// the backup spends useless; but a primary that redialed a down backup every millisecond made a thousand dials a
    /// second for as long as it stayed down. So the pauses follow the outage (<see cref="DialBackoff"/>): 1 ms while it
    /// is younger than <see cref="OutageShare"/> ms (a process restart here takes 10–30 ms, so the backup is reached
    /// within about a millisecond of listening, as before: the last of n primaries to find it sets when its re-encode
    /// can end), then a <see cref="OutageShare"/>-th of the outage, up to <see cref="MaxDelayMs"/>: about 240 dials in
    /// the first 5 s of an outage instead of 5,000, then 20 a second.
    /// </summary>
    internal const int OutageShare = 32, MaxDelayMs = 50;

    public int Index { get; } = index;

    public async Task RunAsync(CancellationToken cancellation)
    {
        string where = $"{node.Host}:{node.Port}";
        var backoff = new DialBackoff(MaxDelayMs, OutageShare, new Random());
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
