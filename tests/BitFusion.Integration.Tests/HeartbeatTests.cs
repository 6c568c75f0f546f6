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
        ClusterKey key = ClusterKey.Generate();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true,
            new SilentHandler(), Frame.DefaultMaxFrameBytes, heartbeatMs: 20);
        server.Start();
        using Connection connection = await Dialer.ConnectAsync(server.LocalEndPoint, key, new PeerIdentity(NodeRole.Client, 2), new PeerIdentity(NodeRole.Backup, 1),
            Frame.DefaultMaxFrameBytes, CancellationToken.None);
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
}
