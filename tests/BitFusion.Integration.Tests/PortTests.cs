using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Each node must own its port: a cluster file with two nodes on one port, or a second process started on a port
/// in use, has to fail loudly, because two listeners sharing a port would each get a random half of the connections.
/// </summary>
public sealed class PortTests
{
    [Fact]
    public void GeneratedClusterFilesGiveEveryNodeItsOwnPort()
    {
        for (int round = 0; round < 5; round++)
        {
            ClusterConfig config = ClusterLayout.Build(200, 16, 0, 0, "127.0.0.1", 0);
            int[] ports = config.Nodes.Select(n => n.Port).ToArray();
            Assert.True(ports.Distinct().Count() == ports.Length,
                $"ports used twice: {string.Join(", ", ports.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key))}");
        }
    }

    [Fact]
    public void ASecondServerOnAPortInUseIsRefused()
    {
        ClusterKey key = ClusterKey.Generate();
        using var first = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true, new SilentHandler(), Frame.DefaultMaxFrameBytes);
        var e = Assert.Throws<SocketException>(() =>
            new FrameServer(first.LocalEndPoint, key, new PeerIdentity(NodeRole.Backup, 2), _ => true, new SilentHandler(), Frame.DefaultMaxFrameBytes).Dispose());
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
    }
}
