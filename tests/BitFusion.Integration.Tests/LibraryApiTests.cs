using System.Security.Authentication;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The packages' entry points as a user calls them: a <see cref="BackupServer"/> and a <see cref="FusedBitList"/> in
/// one process, and <see cref="BitListClient.ConnectAsync(ClientFile, int, int?, TimeSpan?, bool, CancellationToken)"/>
/// with a client file — the right key reaches the list, a wrong one is refused as an authentication failure.
/// </summary>
public sealed class LibraryApiTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_client_file_reaches_the_fused_list_and_a_wrong_key_is_refused()
    {
        ClusterConfig layout = ClusterLayout.Build(primaries: 1, faults: 1, groups: 0, managers: 0, "127.0.0.1", basePort: 0);
        Cluster cluster = Cluster.Parse(ClusterLayout.ToJson(layout));
        using var backup = new BackupServer(cluster, cluster.Backups[0].Id);
        backup.Start();
        int primary = cluster.Primaries[0].Id;
        using var cancel = new CancellationTokenSource(Patience);
        using PrimaryNode node = await PrimaryNode.StartAsync(cluster, primary, cancellation: cancel.Token);
        Assert.False(node.List.Recovery!.Rebuilt);
        Assert.Equal(1L, await node.List.AppendAsync(true));

        using (BitListClient client = await BitListClient.ConnectAsync(ClientFile.From(cluster), primary, cancellation: cancel.Token))
        {
            Assert.Equal(2L, await client.AppendAsync(false));
            BitsResult all = await client.ReadAllAsync().WaitAsync(Patience);
            Assert.Equal(2, all.Length);
            Assert.Equal(1UL, all.Words[0]);
        }

        layout.ClusterKey = ClusterKey.Generate().ToHex();
        ClientFile stranger = ClientFile.From(Cluster.Parse(ClusterLayout.ToJson(layout)));
        await Assert.ThrowsAsync<AuthenticationException>(() => BitListClient.ConnectAsync(stranger, primary, cancellation: cancel.Token));
        await Assert.ThrowsAsync<ConfigException>(() => BitListClient.ConnectAsync(ClientFile.From(cluster), cluster.Backups[0].Id, cancellation: cancel.Token));
        Assert.Equal(2, node.List.Count);
    }
}
