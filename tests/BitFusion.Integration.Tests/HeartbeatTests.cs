using System.Net;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>The failure detector's transport: idle links carry heartbeats that readers never see, and the cluster file's timeouts are checked.</summary>
public sealed class HeartbeatTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AnIdleServerConnectionKeepsTheClientsLastReceivedFreshWithoutDeliveringFrames()
    {
        using SilentLink link = await SilentLink.DialAsync(heartbeatMs: 20);
        Connection connection = link.Connection;
        long afterHandshake = connection.LastReceivedMs;

        // The read would return the first real frame; the server never sends one, so it only ends when we give up.
        using var giveUp = new CancellationTokenSource();
        Task<Frame> read = connection.ReadAsync(giveUp.Token).AsTask();
        using var deadline = new CancellationTokenSource(Patience);
        while (connection.LastReceivedMs == afterHandshake && !deadline.IsCancellationRequested) await Task.Delay(10);
        Assert.True(connection.LastReceivedMs > afterHandshake, "no heartbeat reached the idle client");
        Assert.True(connection.BytesReceived > 0);
        Assert.False(read.IsCompleted, "a heartbeat was handed to the reader as a frame");
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    /// <summary>
    /// A reader that reads nothing for a while (busy copying a large list, or paused by the collector) does not make
    /// a live peer look silent: its heartbeats wait in the socket, and that counts as heard. Before, suspicion went by
    /// the reader's last read alone, and the watch closed this connection.
    /// </summary>
    [Fact]
    public async Task ABusyReaderDoesNotMakeALivePeerLookSilent()
    {
        const int suspectAfterMs = 200;
        using SilentLink link = await SilentLink.DialAsync(heartbeatMs: 20);
        Connection connection = link.Connection;
        using var stop = new CancellationTokenSource();
        Task watch = SilenceWatch.RunAsync(() => [connection], 20, suspectAfterMs, stop.Token);

        // No read for three suspicion timeouts: the reader is busy elsewhere.
        await Task.Delay(3 * suspectAfterMs);
        long unread = Environment.TickCount64 - connection.LastReceivedMs;
        long unheard = Environment.TickCount64 - connection.LastHeardMs;
        await stop.CancelAsync();
        await watch;

        Assert.True(unread >= 2 * suspectAfterMs, $"the reader's last read is only {unread} ms old; the test did not keep it busy");
        Assert.True(unheard < suspectAfterMs, $"the peer was last heard {unheard} ms ago though its heartbeats kept arriving");
        Assert.False(connection.IsClosed, $"the watch closed a live peer's connection: {connection.CloseReason}");
    }

    /// <summary>
    /// A watcher that stalled (the collector stopped the whole process, peers' heartbeat timers included) counts its
    /// peers as heard when it resumes, so silence is measured only while it ran; ticks at their period change nothing.
    /// </summary>
    [Fact]
    public void AWatchersOwnStallIsNotItsPeersSilence()
    {
        var grace = new StallGrace(500);
        long t0 = Environment.TickCount64;
        grace.Tick(t0 + 10);
        grace.Tick(t0 + 20);
        Assert.Equal(t0, grace.Heard(t0));
        grace.Tick(t0 + 2000);
        Assert.Equal(t0 + 2000, grace.Heard(t0));
        Assert.Equal(t0 + 2100, grace.Heard(t0 + 2100));
        grace.Tick(t0 + 2010);
        Assert.Equal(t0 + 2000, grace.Heard(t0));
    }

    /// <summary>A peer that really says nothing is still suspected, whether the reader waits on the socket or is busy.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APeerThatSaysNothingIsStillSuspected(bool readerWaits)
    {
        const int suspectAfterMs = 200;
        using SilentLink link = await SilentLink.DialAsync(heartbeatMs: 0);
        Connection connection = link.Connection;
        Task<Frame> read = readerWaits ? connection.ReadAsync().AsTask() : Task.FromResult(default(Frame));
        using var stop = new CancellationTokenSource();
        Task watch = SilenceWatch.RunAsync(() => [connection], 20, suspectAfterMs, stop.Token);

        using var deadline = new CancellationTokenSource(Patience);
        while (!connection.IsClosed && !deadline.IsCancellationRequested) await Task.Delay(10);
        await stop.CancelAsync();
        await watch;

        Assert.True(connection.IsClosed, "a peer that sent nothing was never suspected");
        Assert.Contains("silent", connection.CloseReason, StringComparison.Ordinal);
        await read;
    }

    [Theory]
    [InlineData(5, 1500, "heartbeatMs = 5")]
    [InlineData(300, 400, "suspectAfterMs = 400")]
    [InlineData(300, 700_000, "suspectAfterMs = 700000")]
    public void TimeoutsOutsideTheirRangeAreConfigErrors(int heartbeatMs, int suspectAfterMs, string expected)
    {
        var config = new ClusterConfig { ClusterKey = "0123456789abcdef0123456789abcdef", HeartbeatMs = heartbeatMs, SuspectAfterMs = suspectAfterMs };
        ConfigException e = Assert.Throws<ConfigException>(() => Cluster.FromConfig(config));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultsAreFiveHeartbeatsToSuspicion()
    {
        Cluster cluster = Cluster.FromConfig(new ClusterConfig { ClusterKey = "0123456789abcdef0123456789abcdef" });
        Assert.Equal(300, cluster.Config.HeartbeatMs);
        Assert.Equal(1500, cluster.Config.SuspectAfterMs);
    }

    /// <summary>A server whose handler never answers, sending heartbeats every heartbeatMs (0: none), and a client dialled to it.</summary>
    private sealed class SilentLink(FrameServer server, Connection connection) : IDisposable
    {
        public Connection Connection { get; } = connection;

        public static async Task<SilentLink> DialAsync(int heartbeatMs)
        {
            ClusterKey key = ClusterKey.Generate();
            var listening = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true,
                new SilentHandler(), Frame.DefaultMaxFrameBytes, heartbeatMs);
            listening.Start();
            Connection dialled = await Dialer.ConnectAsync(listening.LocalEndPoint, key, new PeerIdentity(NodeRole.Client, 2),
                new PeerIdentity(NodeRole.Backup, 1), Frame.DefaultMaxFrameBytes, CancellationToken.None);
            return new SilentLink(listening, dialled);
        }

        public void Dispose()
        {
            Connection.Dispose();
            server.Dispose();
        }
    }
}
