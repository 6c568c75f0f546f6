using System.Diagnostics;
using System.Net;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Bench;

/// <summary>
/// Bulk transfer through the transport alone: 1 MiB frames from a client to a server on loopback, a few in flight,
/// each answered by a one-byte frame. No list, codec or recovery work on either side, so the rate is the
/// connection's own (framing, pooled buffers, and in TLS mode encryption and decryption).
/// </summary>
internal sealed class TransferBench : IFrameHandler
{
    private const int FrameBytes = 1 << 20;
    private const int InFlight = 8;

    public static async Task<double> GigabytesPerSecondAsync(int frames, CancellationToken cancellation, bool tls = false)
    {
        string? folder = tls ? Directory.CreateTempSubdirectory("bitfusion-bench-tls-").FullName : null;
        try
        {
            var config = new ClusterConfig { ClusterKey = ClusterKey.Generate().ToHex(), Nodes = [new NodeConfig { Id = 1, Role = "backup", Port = 1 }] };
            if (folder is not null) config.Tls = TlsIssuer.Issue(config, folder, clients: 1);
            ClusterKey key = Cluster.FromConfig(config).Key;
            var server = new PeerIdentity(NodeRole.Backup, 1);
            using var sink = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, server, _ => true, new TransferBench(), Frame.DefaultMaxFrameBytes);
            sink.Start();
            using Connection connection = await Dialer.ConnectAsync(sink.LocalEndPoint, key, new PeerIdentity(NodeRole.Client, 1), server,
                Frame.DefaultMaxFrameBytes, cancellation);
            byte[] payload = new byte[FrameBytes];
            new Random(frames).NextBytes(payload);
            await SendAsync(connection, payload, InFlight, cancellation);
            var clock = Stopwatch.StartNew();
            await SendAsync(connection, payload, frames, cancellation);
            return (double)frames * FrameBytes / clock.Elapsed.TotalSeconds / 1e9;
        }
        finally
        {
            if (folder is not null) Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task SendAsync(Connection connection, byte[] payload, int frames, CancellationToken cancellation)
    {
        for (int sent = 0, acked = 0; acked < frames;)
        {
            if (sent < frames && sent - acked < InFlight)
            {
                connection.Send(MessageType.Stats, payload);
                sent++;
                continue;
            }
            Frame ack = await connection.ReadAsync(cancellation);
            if (ack.IsEnd) throw new IOException($"the sink closed the connection: {connection.CloseReason}");
            acked++;
        }
    }

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame) => connection.Send(MessageType.StatsReply, frame.Payload.Span[..1]);

    public void OnClose(Connection connection)
    {
    }
}
