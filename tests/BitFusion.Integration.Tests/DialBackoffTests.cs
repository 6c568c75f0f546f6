using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;
using Xunit;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The pauses between a primary's dials of a backup: a restarted backup is useless until every primary reaches it,
/// so a restart is found within about a millisecond, while a backup that stays down costs a number of dials that
/// grows with the logarithm of its outage, not with its length (the dialer used to redial every millisecond for 5 s).
/// </summary>
public sealed class DialBackoffTests(ITestOutputHelper output)
{
    private const int Seed = 12;

    private DialBackoff Backoff(int seed = Seed)
    {
        output.WriteLine($"seed {seed}");
        return new DialBackoff(BackupLink.MaxDelayMs, BackupLink.OutageShare, new Random(seed));
    }

    [Fact]
    public void FirstRetryIsImmediateAndPausesStayAtOneMillisecondThroughARestart()
    {
        DialBackoff backoff = Backoff();
        Assert.Equal(0, backoff.Next(1000));
        for (int t = 1; t < BackupLink.OutageShare; t++) Assert.Equal(1, backoff.Next(1000 + t));
    }

    /// <summary>
    /// A dialer whose dials take no time against a backup that listens again after <paramref name="outageMs"/>: it
    /// reaches it within a <see cref="BackupLink.OutageShare"/>-th of the outage (a quarter more for the spread, 1 ms
    /// at least), and an outage of 5 s costs about 240 dials, not 5,000.
    /// </summary>
    [Theory]
    [InlineData(5, 7)]
    [InlineData(20, 22)]
    [InlineData(100, 80)]
    [InlineData(1_000, 160)]
    [InlineData(5_000, 260)]
    [InlineData(60_000, 1_500)]
    public void ABackupBackAfterAnOutageIsFoundWithinAShareOfItAndTheDialsGrowSlowly(int outageMs, int maxDials)
    {
        DialBackoff backoff = Backoff();
        long now = 0;
        int dials = 1;
        while (now < outageMs)
        {
            now += backoff.Next(now);
            dials++;
        }
        output.WriteLine($"outage {outageMs} ms: found at {now} ms after {dials} dials");
        Assert.True(now - outageMs <= Math.Max(1, 1.25 * outageMs / BackupLink.OutageShare),
            $"found {now - outageMs} ms after the backup came back");
        Assert.True(dials <= maxDials, $"{dials} dials for an outage of {outageMs} ms");
    }

    [Fact]
    public void ALastingOutageStaysAtTheCapSpreadAndASuccessStartsOver()
    {
        DialBackoff backoff = Backoff();
        backoff.Next(0);
        int[] pauses = [.. Enumerable.Range(0, 200).Select(i => backoff.Next(60_000 + i))];
        Assert.All(pauses, p => Assert.InRange(p, 3 * BackupLink.MaxDelayMs / 4, BackupLink.MaxDelayMs));
        Assert.True(pauses.Distinct().Count() > 5, "the pauses at the cap are spread, so dialers that lost a backup together drift apart");
        backoff.Reset();
        Assert.Equal(0, backoff.Next(60_001));
        Assert.Equal(1, backoff.Next(60_002));
    }
}
