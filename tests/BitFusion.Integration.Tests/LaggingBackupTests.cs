using System.Net;
using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// A primary must stream every write to all f backups again after it recovers, or its next f failures lose
/// acknowledged writes. These tests make the awkward cases on purpose by freezing backup 1 with SIGSTOP (a stall,
/// as a long GC pause or an overloaded host would cause, not a crash): a backup that lags behind the other on the
/// dead primary's deltas, and a backup that answers late while the primary recovers.
/// </summary>
public sealed class LaggingBackupTests(ITestOutputHelper output)
{
    private const int Writes = 24;
    private const int BitsPerWrite = 8 << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public enum Resume
    {
        /// <summary>The lagging backup has drained its input and is idle when the primary restarts: recovery reconciles it.</summary>
        BeforeRestart,

        /// <summary>The lagging backup is still frozen when the primary restarts and wakes 300 ms later, long before any timeout.</summary>
        DuringRecovery,
    }

    [Theory]
    [InlineData(Resume.BeforeRestart)]
    [InlineData(Resume.DuringRecovery)]
    public Task RecoveryBringsALaggingBackupBackIntoTheStream(Resume resume) =>
        Scenario.RunAsync(output, $"recovery with a lagging backup (resumed {resume})", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(2, 2, 0, 0, "127.0.0.1", 0));
            NodeProcess primary = cluster.Primaries[0], frozen = cluster.Backups[1];
            long ahead = await MakeBackupLagAsync(s, cluster, primary, frozen);

            Task<ReadyLine> restart;
            if (resume == Resume.BeforeRestart)
            {
                frozen.Resume();
                await SettledAsync(cluster, frozen, primary, v => !v.Serving);
                restart = primary.StartAsync(Patience);
            }
            else
            {
                restart = primary.StartAsync(Patience);
                await Task.Delay(300);
                frozen.Resume();
            }
            ReadyLine ready = await restart;
            s.Log(ready.Text);
            Assert.Equal(ahead, ready.Int64("seq"));
            Assert.Contains(primary.Log.Lines(), l => l.Contains("reconciled primary 0 on backup 1", StringComparison.Ordinal));
            await EveryBackupGetsTheNextWriteAsync(cluster, primary, ready);
        });

    /// <summary>
    /// A backup that stalls for longer than the handshake timeout while a primary restarts is given up on for that
    /// recovery; once it answers again, the primary must reconnect and stream to it. (Had the primary acknowledged
    /// writes meanwhile, the backup could not catch up without being re-encoded; so the test writes only after the
    /// reconnection.)
    /// </summary>
    [Fact]
    public Task PrimaryReconnectsToABackupThatStalledThroughItsRestart() =>
        Scenario.RunAsync(output, "backup stalled through a primary's restart", async s =>
        {
            FusionCluster cluster = await s.StartClusterAsync(ClusterLayout.Build(2, 2, 0, 0, "127.0.0.1", 0));
            NodeProcess primary = cluster.Primaries[0], frozen = cluster.Backups[1];
            using (var client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), 1))
                for (int i = 0; i < 10; i++) await client.AppendAsync(i % 3 == 0);
            frozen.Suspend();
            await primary.KillAsync();
            Task<ReadyLine> restart = primary.StartAsync(Patience);
            await Task.Delay(TimeSpan.FromSeconds(7));
            frozen.Resume();
            s.Log($"{frozen} was frozen for 7 s while {primary} restarted");
            ReadyLine ready = await restart;
            s.Log(ready.Text);
            await SettledAsync(cluster, frozen, primary, v => v.Serving && v.Seq == ready.Int64("seq"));
            s.Log($"{primary} reconnected to {frozen}");
            await EveryBackupGetsTheNextWriteAsync(cluster, primary, ready);
        });

    /// <summary>
    /// Freezes the backup, floods the primary until backup 0 has deltas the frozen backup never read, and kills the
    /// primary: backup 0 is then ahead. Returns backup 0's seq; the backup stays frozen.
    /// </summary>
    private static async Task<long> MakeBackupLagAsync(Scenario s, FusionCluster cluster, NodeProcess primary, NodeProcess frozen)
    {
        ulong[] ones = Enumerable.Repeat(ulong.MaxValue, BitsPerWrite / 64).ToArray();
        var client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), 1);
        Assert.Equal(1, await client.AppendAsync(true));
        frozen.Suspend();
        // The primary stops reading from this client once it blocks, so the sends run off the test's thread.
        Task<Task<long>[]> sending = Task.Run(() => Enumerable.Range(0, Writes).Select(_ => client.AppendManyAsync(ones, BitsPerWrite).AsTask()).ToArray());
        long ahead = await SettledAsync(cluster, cluster.Backups[0], primary, v => v.Seq > 1);
        await primary.KillAsync();
        // Each write in flight either ends when the primary dies, or earlier, once the frozen backup is suspected:
        // below minAckBackups (f) the primary answers Unknown (in flight) or NotDone (not applied) at once.
        foreach (Task<long> t in await sending.WaitAsync(Patience))
        {
            Exception e = await Assert.ThrowsAnyAsync<Exception>(() => t);
            Assert.True(e is IOException or RemoteException { Code: ErrorCode.Unknown or ErrorCode.NotDone }, $"a write ended with {e}");
        }
        client.Dispose();
        s.Log($"backup 0 reached seq {ahead} of {primary} while {frozen} was frozen; then {primary} was killed");
        return ahead;
    }

    /// <summary>The backup's seq of the primary once it has held still (and met <paramref name="condition"/>) for half a second.</summary>
    private static async Task<long> SettledAsync(FusionCluster cluster, NodeProcess backup, NodeProcess primary, Func<BackupReport.PrimaryView, bool> condition)
    {
        EndPoint at = cluster.EndPointOf(backup.Id);
        BackupReport.PrimaryView? last = null;
        int still = 0;
        for (int i = 0; i < 1200 && still < 10; i++)
        {
            await Task.Delay(50);
            BackupReport.PrimaryView view = (await BackupProbe.StatusAsync(at, cluster.Key, (ushort)backup.Id, (ushort)primary.Id)).Primaries[0];
            still = view == last && condition(view) ? still + 1 : 0;
            last = view;
        }
        Assert.True(still >= 10, $"{backup}'s view of {primary} never settled (last {last})");
        return last!.Seq;
    }

    private static async Task EveryBackupGetsTheNextWriteAsync(FusionCluster cluster, NodeProcess primary, ReadyLine ready)
    {
        long seq = ready.Int64("seq") + 1;
        using (var client = await BitListClient.ConnectAsync(cluster.EndPointOf(primary.Id), cluster.Key, cluster.IdentityOf(primary.Id), 2))
            Assert.Equal(ready.Int64("length") + 1, await client.AppendAsync(false).AsTask().WaitAsync(Patience));
        foreach (NodeProcess backup in cluster.Backups)
        {
            BackupReport.PrimaryView view = default!;
            for (int i = 0; i < 100; i++)
            {
                view = (await BackupProbe.StatusAsync(cluster.EndPointOf(backup.Id), cluster.Key, (ushort)backup.Id, (ushort)primary.Id)).Primaries[0];
                if (view.Serving && view.Seq == seq) break;
                await Task.Delay(50);
            }
            Assert.True(view.Serving && view.Seq == seq,
                $"{backup} sees {primary} as {view}, though the primary acknowledged write {seq}: the primary no longer streams to that backup");
        }
    }
}
