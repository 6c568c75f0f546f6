using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Config;

namespace BitFusion.Integration.Tests.BadInput;

/// <summary>One cluster (2 primaries, 1 backup, so every rebuild reads the backup under attack) shared by every bad-input case, with a worker per list whose model spans all cases.</summary>
public sealed class BadInputFixture : IAsyncLifetime
{
    internal FusionCluster Cluster { get; private set; } = null!;

    internal IReadOnlyList<ListWorker> Workers { get; private set; } = [];

    internal int Seed { get; } = TestSeed.Next();

    public async Task InitializeAsync()
    {
        Cluster = await FusionCluster.StartAsync(ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", 0), new FusionClusterOptions { Binary = HostBinary.Path });
        var rng = new Random(Seed);
        Workers = Cluster.Primaries.Select(p => new ListWorker(Cluster, p, rng.Next(), maxBatch: 4)).ToArray();
    }

    public async Task DisposeAsync()
    {
        foreach (ListWorker w in Workers) w.Disconnect();
        await Cluster.DisposeAsync();
    }
}
