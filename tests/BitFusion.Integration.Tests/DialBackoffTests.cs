using BitFusion.Net.Transport;
using Xunit;

namespace BitFusion.Integration.Tests;

/// <summary>
/// The pauses between a primary's dials of a backup: a restarted backup is useless until every primary reaches it,
/// so the pauses stay at a couple of milliseconds while it may be restarting and back off only once it stays down.
/// </summary>
public sealed class DialBackoffTests
{
    [Fact]
    public void FirstRetryIsImmediateAndPausesStayShortWhileThePeerMayBeRestarting()
    {
        var backoff = new DialBackoff(fastMaxMs: 2, fastWindowMs: 5000, slowMaxMs: 200);
        int[] pauses = [.. Enumerable.Range(0, 8).Select(i => backoff.Next(1000 + i))];
        Assert.Equal([0, 1, 2, 2, 2, 2, 2, 2], pauses);
        Assert.Equal(2, backoff.Next(1000 + 4999));
    }

    [Fact]
    public void ALastingOutageBacksOffToTheSlowCapAndASuccessStartsOver()
    {
        var backoff = new DialBackoff(fastMaxMs: 2, fastWindowMs: 5000, slowMaxMs: 200);
        backoff.Next(0);
        int[] pauses = [.. Enumerable.Range(0, 9).Select(i => backoff.Next(5000 + i))];
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 200], pauses);
        Assert.Equal(200, backoff.Next(60_000));
        backoff.Reset();
        Assert.Equal(0, backoff.Next(60_001));
        Assert.Equal(1, backoff.Next(60_002));
    }
}
