using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A primary process finishes its warm-up (the socket engine, thread-pool workers, OpenSSL's first HMAC) before it
/// opens its list, so its recovery is timed without the runtime's start-up: the ready line says how long the main
/// thread waited for it (<c>warmup_us</c>), counted in the process's <c>start_us</c> and not in its
/// <c>recovery_us</c>; a primary restarted this way still recovers its list.
/// </summary>
public sealed class WarmupLineTests(ITestOutputHelper output)
{
    private const int Appends = 30;

    [Fact]
    public Task ARestartedPrimaryReportsItsWarmupOutsideItsRecovery() =>
        Scenario.RunAsync(output, "a restarted primary's warmup_us", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(2, 1, 0, 0, "127.0.0.1", 0));
            NodeProcess primary = cluster.Primaries[0];
            using (BitListClient client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key,
                       cluster.IdentityOf(primary.Id), 10))
                for (int i = 0; i < Appends; i++) await client.AppendAsync(i % 2 == 0);

            await cluster.KillAsync([primary]);
            ReadyLine ready = (await cluster.StartAsync([primary]))[0];
            s.Log(ready.Text);
            Assert.True(ready.Has("rebuilt"), ready.Text);
            Assert.Equal(Appends, ready.Int64("length"));
            long warmup = ready.Int64("warmup_us"), recovery = ready.Int64("recovery_us"), start = ready.Int64("start_us");
            Assert.True(warmup >= 0 && recovery > 0, ready.Text);
            // Each field is rounded to the µs on its own, so their sum may exceed the rounded whole by one.
            Assert.True(start + 1 >= warmup + recovery, $"start_us counts the warm-up and the recovery one after the other: {ready.Text}");

            using BitListClient again = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key,
                cluster.IdentityOf(primary.Id), 11);
            BitsResult bits = await again.ReadAllAsync();
            Assert.Equal(Appends, bits.Length);
            for (int i = 0; i < Appends; i++) Assert.Equal(i % 2 == 0, (bits.Words[i / 64] >> (i % 64) & 1) != 0);
        });
}
