using BitFusion.Core.Idempotency;
using CsCheck;

namespace BitFusion.Core.Tests.Idempotency;

public class WriteDedupTests
{
    private static readonly WriteResult Applied7 = new(WriteOutcome.Applied, 7, 3);

    [Fact]
    public void A_retry_of_a_completed_write_returns_its_first_result()
    {
        var dedup = new WriteDedup(4, 8);
        Assert.Equal(DedupVerdict.New, dedup.Begin(1, 1, resend: false).Verdict);
        Assert.Equal(DedupVerdict.InFlight, dedup.Begin(1, 1, resend: true).Verdict);
        dedup.Complete(1, 1, Applied7);
        Assert.Equal(new DedupDecision(DedupVerdict.Done, Applied7), dedup.Begin(1, 1, resend: true));
    }

    [Fact]
    public void A_forgotten_write_is_applied_by_its_retry()
    {
        var dedup = new WriteDedup(4, 8);
        dedup.Begin(1, 1, resend: false);
        dedup.Forget(1, 1);
        Assert.Equal(DedupVerdict.New, dedup.Begin(1, 1, resend: true).Verdict);
    }

    [Fact]
    public void What_the_table_cannot_vouch_for_is_unknown()
    {
        var dedup = new WriteDedup(1, 4);
        Assert.Equal(DedupVerdict.Unknown, dedup.Begin(9, 5, resend: true).Verdict);
        Assert.Equal(DedupVerdict.New, dedup.Begin(1, 5, resend: false).Verdict);
        Assert.Equal(DedupVerdict.Unknown, dedup.Begin(1, 4, resend: true).Verdict);
        Assert.Equal(DedupVerdict.New, dedup.Begin(1, 9, resend: false).Verdict);
        Assert.Equal(DedupVerdict.Unknown, dedup.Begin(1, 5, resend: true).Verdict);
        Assert.Equal(DedupVerdict.New, dedup.Begin(2, 1, resend: false).Verdict);
        Assert.Equal(1, dedup.Evictions);
        Assert.Equal(DedupVerdict.Unknown, dedup.Begin(1, 9, resend: true).Verdict);
    }

    /// <summary>
    /// Random traffic from several clients that keep the client's contract (first sends in increasing seq order, some
    /// lost on the way; resends of any earlier seq) and the caller's (complete or forget only what Begin called
    /// New): no write is ever New twice unless forgotten in between, every Done carries the first result, and the
    /// table never holds more clients than its cap. When the clients fit in the table, every answer is exact.
    /// </summary>
    [Fact]
    public void Random_traffic_never_applies_a_write_twice()
    {
        var step = Gen.Select(Gen.Int[0, 9], Gen.Int[1, 6], Gen.Int[1, 24], Gen.Bool, Gen.Int[0, 2]);
        Gen.Select(Gen.Int[1, 5], Gen.Int[1, 8], step.Array[1, 300]).Sample((maxClients, window, steps) =>
        {
            var dedup = new WriteDedup(maxClients, window);
            var model = new ExactModel(window);
            var applied = new Dictionary<(ulong, ulong), WriteResult?>();
            var inFlight = new List<(ulong Client, ulong Seq)>();
            var clients = new HashSet<ulong>();
            var sent = new Dictionary<ulong, ulong>();
            foreach ((int kind, int c, int s, bool resendPick, int outcome) in steps)
            {
                if (kind < 3 && inFlight.Count > 0)
                {
                    (ulong client, ulong seq) = inFlight[s % inFlight.Count];
                    inFlight.RemoveAt(s % inFlight.Count);
                    if (outcome == 2)
                    {
                        dedup.Forget(client, seq);
                        applied.Remove((client, seq));
                        model.Forget(client, seq);
                    }
                    else
                    {
                        var result = new WriteResult((WriteOutcome)outcome, s, c);
                        dedup.Complete(client, seq, result);
                        applied[(client, seq)] = result;
                        model.Complete(client, seq, result);
                    }
                    continue;
                }
                ulong cl = (ulong)c;
                ulong last = sent.GetValueOrDefault(cl);
                bool resend = resendPick && last > 0;
                ulong sq = resend ? 1 + (ulong)s % last : last + 1 + (ulong)(s % 3);
                if (!resend) sent[cl] = sq;
                clients.Add(cl);
                DedupDecision d = dedup.Begin(cl, sq, resend);
                DedupDecision expected = model.Begin(cl, sq, resend);
                switch (d.Verdict)
                {
                    case DedupVerdict.New:
                        Assert.False(applied.ContainsKey((cl, sq)), $"write {sq} of client {cl} was New twice");
                        applied[(cl, sq)] = null;
                        inFlight.Add((cl, sq));
                        break;
                    case DedupVerdict.Done:
                        Assert.True(applied.TryGetValue((cl, sq), out WriteResult? first) && first == d.First,
                            $"write {sq} of client {cl} answered {d.First}, not its first result");
                        break;
                    case DedupVerdict.InFlight:
                        Assert.True(inFlight.Contains((cl, sq)), $"write {sq} of client {cl} is not in flight");
                        break;
                }
                Assert.True(dedup.Clients <= maxClients);
                if (clients.Count <= maxClients) Assert.Equal(expected, d);
            }
        }, iter: 2000);
    }

    /// <summary>The rules spelled out for a table large enough to hold every client.</summary>
    private sealed class ExactModel(int window)
    {
        private readonly Dictionary<ulong, (ulong Floor, ulong High)> _clients = [];
        private readonly Dictionary<(ulong, ulong), WriteResult?> _writes = [];

        public DedupDecision Begin(ulong client, ulong seq, bool resend)
        {
            if (!_clients.TryGetValue(client, out var c))
            {
                if (resend) return new DedupDecision(DedupVerdict.Unknown, default);
                c = (seq, seq - 1);
            }
            if (seq < c.Floor || seq + (ulong)window <= c.High)
            {
                _clients[client] = c;
                return new DedupDecision(DedupVerdict.Unknown, default);
            }
            _clients[client] = (c.Floor, Math.Max(c.High, seq));
            if (_writes.TryGetValue((client, seq), out WriteResult? r) && seq + (ulong)window > Math.Max(c.High, seq))
                return r is { } done ? new DedupDecision(DedupVerdict.Done, done) : new DedupDecision(DedupVerdict.InFlight, default);
            _writes[(client, seq)] = null;
            return new DedupDecision(DedupVerdict.New, default);
        }

        public void Complete(ulong client, ulong seq, WriteResult result)
        {
            if (InWindow(client, seq)) _writes[(client, seq)] = result;
        }

        public void Forget(ulong client, ulong seq)
        {
            if (InWindow(client, seq)) _writes.Remove((client, seq));
        }

        private bool InWindow(ulong client, ulong seq) => _clients.TryGetValue(client, out var c) && seq + (ulong)window > c.High;
    }
}
