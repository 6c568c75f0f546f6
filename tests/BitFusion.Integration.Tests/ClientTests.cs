using System.Net;
using BitFusion.Net.Client;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>The client library's promise the workload leans on: a request on a dead connection fails at once with an IOException, whatever its kind.</summary>
public sealed class ClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EveryRequestOnAClosedConnectionFailsWithIOException()
    {
        ClusterKey key = ClusterKey.Generate();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Primary, 1), _ => true, new SilentHandler(), Frame.DefaultMaxFrameBytes);
        server.Start();
        BitListClient client = await BitListClient.ConnectAsync(server.LocalEndPoint, key, new PeerIdentity(NodeRole.Primary, 1), 9);
        client.Dispose();
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<IOException>(() => client.AppendAsync(true).AsTask().WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(() => client.SetAsync(0, true).AsTask().WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(() => client.AppendManyAsync([5UL], 3).AsTask().WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(() => client.CountAsync().AsTask().WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(() => client.ReadAllAsync().WaitAsync(Patience));
    }
}
