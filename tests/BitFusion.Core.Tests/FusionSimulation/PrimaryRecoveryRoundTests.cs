using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// The messages a restarting primary sends before its residual cut: a Status rides behind each Attach, so once every
/// backup answered Attached and Status the cut is asked with no status round of its own; a later attempt asks again.
/// </summary>
public class PrimaryRecoveryRoundTests
{
    private static readonly long Life = RecoveryPlanner.MakeLife(1, 7);

    private static BackupReport Report(int backup) =>
        new(backup, true, [new PrimaryView(true, Life, 5, 5, false, 1)]);

    private static PrimaryView Seen => new(true, Life, 5, 5, false, 1);

    [Fact]
    public void The_first_attempt_takes_the_status_asked_behind_each_attach()
    {
        var output = new Recorder();
        using var role = new PrimaryRole(new FusionCode(1, 2), 0, window: 8, minAckBackups: 1, suspectAfterMs: 1000, lifeNonce: 3, now: 0, output);
        role.LinkUp(0, link: 1, now: 0);
        role.LinkUp(1, link: 2, now: 0);
        Assert.Equal(["attach 0", "status 0", "attach 1", "status 1"], output.Sent);
        ulong first = output.StatusIds[0], second = output.StatusIds[1];

        role.Attached(0, 1, Seen, complete: true, now: 1);
        role.StatusReply(0, 1, first, Report(0));
        role.Attached(1, 2, Seen, complete: true, now: 1);
        Assert.DoesNotContain(output.Sent, m => m.StartsWith("residual", StringComparison.Ordinal));
        role.StatusReply(1, 2, second, Report(1));

        Assert.Equal(["attach 0", "status 0", "attach 1", "status 1", "attempt", "residual 0"], output.Sent);
    }

    [Fact]
    public void A_link_that_comes_up_again_asks_again_and_a_stale_answer_is_ignored()
    {
        var output = new Recorder();
        using var role = new PrimaryRole(new FusionCode(1, 2), 0, window: 8, minAckBackups: 1, suspectAfterMs: 1000, lifeNonce: 3, now: 0, output);
        role.LinkUp(0, link: 1, now: 0);
        role.LinkUp(1, link: 2, now: 0);
        ulong stale = output.StatusIds[0];
        role.LinkDown(0, 1, now: 1);
        role.LinkUp(0, link: 3, now: 1);
        ulong fresh = output.StatusIds[2];

        role.StatusReply(0, 1, stale, Report(0));
        role.Attached(0, 3, Seen, complete: true, now: 2);
        role.Attached(1, 2, Seen, complete: true, now: 2);
        role.StatusReply(1, 2, output.StatusIds[1], Report(1));
        Assert.DoesNotContain(output.Sent, m => m.StartsWith("residual", StringComparison.Ordinal));
        role.StatusReply(0, 3, fresh, Report(0));

        Assert.Equal("residual 0", output.Sent[^1]);
        Assert.Equal(3, output.StatusIds.Count);
    }

    private sealed class Recorder : IPrimaryOutput
    {
        public List<string> Sent { get; } = [];
        public List<ulong> StatusIds { get; } = [];

        public long LastHeard(int backup) => 0;

        public void Attach(int backup, long life, long seq, int length, bool recovering) => Sent.Add($"attach {backup}");

        public void Status(int backup, ulong requestId)
        {
            Sent.Add($"status {backup}");
            StatusIds.Add(requestId);
        }

        public void AttemptStarted() => Sent.Add("attempt");

        public void ResidualRequest(int backup, ulong requestId, ReadOnlySpan<int> lost) => Sent.Add($"residual {backup}");

        public void Delta(int backup, long seq, long watermark, in Delta delta) => Sent.Add($"delta {backup}");

        public void Snapshot(int backup, ulong token, long life, long seq, ReadOnlySpan<ulong> words, int length) => Sent.Add($"snapshot {backup}");

        public void Serving(int backup, long oldLife, long newLife, long seq) => Sent.Add($"serving {backup}");

        public void Reencode(int backup) => Sent.Add($"reencode {backup}");

        public void RetainedRequest(int backup, ulong requestId, int primary, long from, long to) => Sent.Add($"retained {backup}");

        public void Forward(int backup, ulong requestId, int primary, long life, DeltaRecord delta) => Sent.Add($"forward {backup}");

        public void Close(int backup, string reason) => Sent.Add($"close {backup}");

        public void Done(long client, ulong requestId, long value) => Sent.Add("done");

        public void Bits(long client, ulong requestId, ReadOnlySpan<ulong> words, int length, long seq) => Sent.Add("bits");

        public void Failed(long client, ulong requestId, Outcome outcome, string message) => Sent.Add("failed");

        public void Recovered(RecoveryResult result) => Sent.Add("recovered");
    }
}
