using BitFusion.Core.Fusion;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A backup that stops answering (SIGSTOP, kept stopped) is suspected after suspectAfterMs and no client call waits
/// for it: below minAckBackups writes are refused at once (not done) or end as unknown, at or above it they go on
/// acknowledged by the other backups; the primary answers every call, so the client's own timeout never has to
/// fire. When the backup resumes it is brought back (caught up or re-encoded) and holds exactly the encoding of the
/// primaries' lists again. Before the fusion adapters ran the roles, every write here hung until the backup resumed.
/// </summary>
public sealed class SuspectedBackupTests(ITestOutputHelper output)
{
    private const int Primaries = 2;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    public Task ABackupPausedIndefinitelyNeverHangsAWrite(int f, int minAckBackups) =>
        Scenario.RunAsync(output, $"backup paused indefinitely (f={f}, minAckBackups={minAckBackups})", async s =>
        {
            ClusterConfig config = ClusterLayout.Build(Primaries, f, 0, 0, "127.0.0.1", 0);
            config.HeartbeatMs = 50;
            config.SuspectAfterMs = 500;
            config.MinAckBackups = minAckBackups;
            FusionCluster cluster = await s.StartClusterAsync(config);
            var models = new BitModel[Primaries];
            var clients = new BitListClient[Primaries];
            try
            {
                for (int p = 0; p < Primaries; p++)
                {
                    models[p] = new BitModel();
                    clients[p] = await BitListClient.ConnectAsync(cluster.EndPointOf(cluster.Primaries[p].Id), cluster.Key, cluster.IdentityOf(cluster.Primaries[p].Id),
                        (ushort)(10 + p), timeout: ClientTimeout);
                    for (int i = 0; i < 20; i++) Assert.Equal(OutcomeOf.Ok, await AppendAsync(clients[p], models[p], i % 3 == 0));
                }

                NodeProcess paused = cluster.Backups[0];
                paused.Suspend();
                var seen = new List<OutcomeOf>();
                try
                {
                    // Long enough for the suspicion and then some writes after it; none may wait out the client's timeout.
                    for (int round = 0; round < 60; round++)
                    {
                        for (int p = 0; p < Primaries; p++) seen.Add(await AppendAsync(clients[p], models[p], round % 2 == 0));
                        await Task.Delay(20);
                    }
                }
                finally
                {
                    paused.Resume();
                }
                s.Log($"while {paused} was stopped: {string.Join(", ", seen.GroupBy(o => o).Select(g => $"{g.Count()} {g.Key}"))}");
                Assert.DoesNotContain(OutcomeOf.TimedOut, seen);
                if (minAckBackups < f)
                    Assert.All(seen.TakeLast(2 * Primaries * 10), o => Assert.Equal(OutcomeOf.Ok, o));
                else
                    Assert.Contains(OutcomeOf.NotDone, seen);

                // Back: every primary writes again, and every backup holds the encoding of their lists.
                for (int p = 0; p < Primaries; p++)
                {
                    OutcomeOf last = OutcomeOf.NotDone;
                    for (int attempt = 0; attempt < 300 && last != OutcomeOf.Ok; attempt++)
                    {
                        last = await AppendAsync(clients[p], models[p], true);
                        if (last != OutcomeOf.Ok) await Task.Delay(50);
                    }
                    Assert.Equal(OutcomeOf.Ok, last);
                }
                await BackupsHoldTheListsAsync(cluster, models);
                foreach (NodeProcess primary in cluster.Primaries)
                    s.Log($"{primary}: {string.Join(" | ", primary.Log.Lines().Where(l => l.Contains("backup 0", StringComparison.Ordinal)).TakeLast(3))}");
            }
            finally
            {
                foreach (BitListClient? c in clients) c?.Dispose();
            }
        });

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 3)]
    public void MinAckBackupsOutsideOneToFIsAConfigError(int faults, int minAckBackups)
    {
        var config = new ClusterConfig { ClusterKey = "0123456789abcdef0123456789abcdef", Faults = faults, MinAckBackups = minAckBackups };
        ConfigException e = Assert.Throws<ConfigException>(() => Cluster.FromConfig(config));
        Assert.Contains($"minAckBackups = {minAckBackups}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinAckBackupsDefaultsToF()
    {
        Assert.Equal(3, Cluster.FromConfig(new ClusterConfig { ClusterKey = "0123456789abcdef0123456789abcdef", Faults = 3 }).MinAckBackups);
        Assert.Equal(1, Cluster.FromConfig(new ClusterConfig { ClusterKey = "0123456789abcdef0123456789abcdef", Faults = 3, MinAckBackups = 1 }).MinAckBackups);
    }

    private enum OutcomeOf : byte
    {
        Ok,
        NotDone,
        Unknown,
        TimedOut,
    }

    /// <summary>
    /// One append, and the model follows the primary's list: an unknown write was applied there (only its durability
    /// is in doubt, and nothing here crashes), a write not done was not; every acknowledged count must match.
    /// </summary>
    private static async Task<OutcomeOf> AppendAsync(BitListClient client, BitModel model, bool bit)
    {
        var op = new Operation(OpKind.Append, 0, bit);
        try
        {
            long count = await client.AppendAsync(bit);
            model.Apply(op);
            Assert.Equal(model.Count, count);
            return OutcomeOf.Ok;
        }
        catch (RemoteException e) when (e.Code == ErrorCode.NotDone)
        {
            return OutcomeOf.NotDone;
        }
        catch (RemoteException e) when (e.Code == ErrorCode.Unknown)
        {
            model.Apply(op);
            return OutcomeOf.Unknown;
        }
        catch (TimeoutException)
        {
            return OutcomeOf.TimedOut;
        }
    }

    private static async Task BackupsHoldTheListsAsync(FusionCluster cluster, BitModel[] models)
    {
        var code = new FusionCode(Primaries, cluster.Faults);
        PrimaryState[] states = models.Select(m => new PrimaryState(m.Pack(), m.Count, m.Seq)).ToArray();
        for (int j = 0; j < cluster.Backups.Count; j++)
        {
            using FusedBackup expected = code.EncodeBackup(j, states);
            string? problem = null;
            for (int attempt = 0; attempt < 100; attempt++)
            {
                (ulong[] words, long length) = await BackupProbe.FusedAsync(cluster.EndPointOf(cluster.Backups[j].Id), cluster.Key, (ushort)cluster.Backups[j].Id);
                problem = length == expected.FusedLength && words.AsSpan().SequenceEqual(expected.Words)
                    ? null
                    : $"{cluster.Backups[j]} holds {length} fused bits ({words.Length} words); the primaries' lists make {expected.FusedLength}";
                if (problem is null) break;
                await Task.Delay(100);
            }
            Assert.Null(problem);
        }
    }
}
