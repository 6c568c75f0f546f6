using System.Net;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Replication;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Invariant 6 against the real servers: a client that lost its connection resends a write under its first
/// (clientId, clientSeq) and gets the write's first answer — whether the write had completed or was still waiting
/// on a paused backup or replica — and the list holds it once. A resend the server cannot vouch for (a client it
/// never heard, or a primary that restarted since) is answered Unknown, never applied blindly.
/// </summary>
public sealed class IdempotentWriteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public Task APrimaryAppliesARetriedWriteOnce() =>
        Scenario.RunAsync(output, "retried writes at a primary", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0));
            NodeProcess primary = cluster.Primaries[0];
            ulong me = await RetriesAreAnsweredOnceAsync(s.Log, cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), cluster.Backups[0]);

            await primary.KillAsync();
            await primary.StartAsync(Patience);
            using RequestChannel after = await RequestChannel.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id));
            Assert.Equal(ErrorCode.Unknown, RequestChannel.Error(await after.Append(me, 3, resend: true)));
            Assert.Equal(4, RequestChannel.Value(await after.Append(me, 4, resend: false)));
            Assert.Equal(4, await after.CountAsync());
            s.Log("after a restart the primary answered the resend Unknown and applied the next write");
        });

    [Fact]
    public Task AManagerAppliesARetriedWriteOnce() =>
        ReplicationRun.RunAsync(output, "retried writes at a manager", async run =>
        {
            ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0));
            await RetriesAreAnsweredOnceAsync(run.Log, cluster.EndPointOf(cluster.Managers[0].Id), cluster.Key, cluster.IdentityOf(cluster.Managers[0].Id), cluster.Groups[0][1]);
        });

    /// <summary>
    /// BitListClient's own retry: its connection runs through a fault proxy that swallows the answer to a write the
    /// server applied, then drops; the client dials again, resends the write under its first seq, and the server
    /// answers it with the first result instead of applying it twice.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task AClientResendsAfterADroppedConnectionAndTheWriteAppliesOnce(bool replication)
    {
        async Task Body(EndPoint server, ClusterKey key, PeerIdentity role, Action<string> log)
        {
            await using var proxy = new Harness.Faults.FaultProxy(server, "client → server");
            proxy.Start();
            int? group = role.Role == NodeRole.Manager ? 0 : null;
            using BitListClient client = await BitListClient.ConnectAsync(proxy.EndPoint, key, role, 40, group, timeout: Patience, reconnect: true);
            using BitListClient direct = await BitListClient.ConnectAsync(server, key, role, 41, group);
            Assert.Equal(1, await client.AppendAsync(true));

            proxy.Blackhole(Harness.Faults.Direction.ToDialer);
            ValueTask<long> write = client.AppendAsync(false);
            using (var deadline = new CancellationTokenSource(Patience))
                while (await direct.CountAsync() < 2) await Task.Delay(20, deadline.Token);
            log("the server applied write 2; its answer is held in the proxy");
            proxy.Drop();
            proxy.Heal();
            Assert.Equal(2, await write.AsTask().WaitAsync(Patience));
            Assert.Equal(1, client.Reconnects);
            Assert.Equal(2, await direct.CountAsync());
            Assert.Equal(3, await client.AppendAsync(true));
            log("after a reconnect the resent write got its first answer and the list holds it once");
        }

        return replication
            ? ReplicationRun.RunAsync(output, "client resend after a drop (manager)", async run =>
            {
                ReplicationCluster cluster = await run.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0));
                await Body(cluster.EndPointOf(cluster.Managers[0].Id), cluster.Key, cluster.IdentityOf(cluster.Managers[0].Id), run.Log);
            })
            : Scenario.RunAsync(output, "client resend after a drop (primary)", async s =>
            {
                FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0));
                await Body(cluster.EndPointOf(cluster.Primaries[0].Id), cluster.Key, cluster.IdentityOf(cluster.Primaries[0].Id), s.Log);
            });
    }

    /// <summary>Writes 1..3 of a fresh client id, resending each after a dropped connection; returns the client id.</summary>
    private static async Task<ulong> RetriesAreAnsweredOnceAsync(Action<string> log, EndPoint server, ClusterKey key, PeerIdentity role, NodeProcess stall)
    {
        ulong me = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        using (RequestChannel first = await RequestChannel.ConnectAsync(server, key, role))
        {
            Assert.Equal(1, RequestChannel.Value(await first.Append(me, 1, resend: false)));
            Assert.Equal(2, RequestChannel.Value(await first.Append(me, 2, resend: false, bit: false)));
        }
        using (RequestChannel second = await RequestChannel.ConnectAsync(server, key, role))
        {
            Assert.Equal(2, RequestChannel.Value(await second.Append(me, 2, resend: true, bit: false)));
            Assert.Equal(1, RequestChannel.Value(await second.Append(me, 1, resend: true)));
            Assert.Equal(2, await second.CountAsync());
        }
        log("completed writes resent on a new connection got their first answers; the list holds each once");

        RequestChannel resent = await RequestChannel.ConnectAsync(server, key, role);
        bool resumed = false;
        stall.Suspend();
        try
        {
            using (RequestChannel third = await RequestChannel.ConnectAsync(server, key, role))
            {
                Task<(Net.Protocol.MessageType, byte[])> lost = third.Append(me, 3, resend: false);
                await Task.Delay(300);
                if (lost.IsCompleted)
                {
                    (Net.Protocol.MessageType early, byte[] body) = await lost;
                    Assert.Fail($"write 3 completed while {stall} was paused: {early}" +
                                (early == Net.Protocol.MessageType.Error ? $" {RequestChannel.Error(early, body)}" : ""));
                }
            }
            Task<(Net.Protocol.MessageType Type, byte[] Payload)> retry = resent.Append(me, 3, resend: true);
            await Task.Delay(300);
            stall.Resume();
            resumed = true;
            var (type, payload) = await retry.WaitAsync(Patience);
            Assert.Equal(3, RequestChannel.Value(type, payload));
        }
        finally
        {
            if (!resumed) stall.Resume();
        }
        Assert.Equal(3, await resent.CountAsync());
        log($"a write resent while in flight (waiting on paused {stall}) joined it and was applied once");

        Assert.Equal(ErrorCode.Unknown, RequestChannel.Error(await resent.Append(me ^ 0x5555, 9, resend: true)));
        Assert.Equal(3, await resent.CountAsync());
        resent.Dispose();
        return me;
    }
}
