using System.Net;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Host.Measure;
using BitFusion.Harness.Faults;

namespace BitFusion.Host.Bench;

/// <summary>
/// The floor every update latency is compared with: a round trip of a small frame over loopback TCP through the
/// same connection code (pooled buffers, handshake done beforehand), measured in the same run. With a proxy delay,
/// the frames pass a <see cref="FaultProxy"/> adding that delay each way: the path the experiment's --rtt puts
/// between nodes.
/// </summary>
internal sealed class LoopbackRtt : IFrameHandler
{
    public static async Task<LatencyStats> MeasureAsync(int roundTrips, CancellationToken cancellation, TimeSpan? proxyDelay = null)
    {
        ClusterKey key = ClusterKey.Generate();
        var echo = new LoopbackRtt();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1),
            _ => true, echo, Frame.DefaultMaxFrameBytes);
        server.Start();
        await using FaultProxy? proxy = proxyDelay is { } delay ? new FaultProxy(server.LocalEndPoint, "round-trip probe") { Delay = delay } : null;
        proxy?.Start();
        using Connection connection = await Dialer.ConnectAsync(proxy?.EndPoint ?? server.LocalEndPoint, key, new PeerIdentity(NodeRole.Client, 2),
            new PeerIdentity(NodeRole.Backup, 1), Frame.DefaultMaxFrameBytes, cancellation);
        var samples = new double[roundTrips];
        byte[] payload = new byte[16];
        for (int i = -Math.Min(1000, roundTrips); i < roundTrips; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            connection.Send(MessageType.Stats, payload);
            Frame reply = await connection.ReadAsync(cancellation);
            if (reply.IsEnd) throw new IOException("echo server closed");
            if (i >= 0) samples[i] = Ticks.MicrosSince(start);
        }
        return LatencyStats.FromMicros(samples);
    }

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame) => connection.Send(MessageType.StatsReply, frame.Payload.Span);

    public void OnClose(Connection connection)
    {
    }
}
