using System.Runtime.InteropServices;
using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>The requests a recovering primary sends a backup: status, retained deltas, forwarded deltas and residual cuts.</summary>
internal sealed partial class BackupRole
{
    public BackupReport Report()
    {
        var views = new PrimaryView[_slots.Length];
        for (int p = 0; p < views.Length; p++) views[p] = View(p);
        return new BackupReport(BackupIndex, IsComplete, views);
    }

    public void Status(long link, ulong requestId) => _out.Status(link, requestId, Report());

    /// <summary>Primary <paramref name="q"/>'s retained deltas with from &lt; seq ≤ to, if all are still held.</summary>
    public void RetainedRequest(long link, ulong requestId, int q, long from, long to)
    {
        if ((uint)q >= (uint)_slots.Length)
        {
            _out.Refused(link, requestId, Refusal.BadRequest, $"no primary {q}");
            return;
        }
        RetainedDeltas retained = _slots[q].Retained;
        if (to > _backup.Seq(q) || !retained.Covers(from, to))
        {
            _out.Refused(link, requestId, Refusal.Unavailable, $"deltas {from + 1}..{to} of primary {q} are not all held here");
            return;
        }
        _out.Retained(link, requestId, retained.Range(from, to).ToList());
    }

    /// <summary>A lost primary's delta, applied as if it had sent it, but only in the life this backup holds for it.</summary>
    public void Forward(long link, ulong requestId, int q, long life, long seq, in Delta delta)
    {
        if ((uint)q >= (uint)_slots.Length)
        {
            _out.Refused(link, requestId, Refusal.BadRequest, $"no primary {q}");
            return;
        }
        Slot s = _slots[q];
        if (s.Serving || !s.Loaded || s.Life != life)
        {
            _out.Refused(link, requestId, Refusal.Conflict,
                $"primary {q} is {(s.Serving ? "serving" : !s.Loaded ? "not held here" : $"held in life {s.Life}, not {life}")}; forwarding its deltas is refused");
            return;
        }
        ApplyOutcome outcome;
        try
        {
            outcome = Apply(q, seq, delta);
        }
        catch (ArgumentException e)
        {
            _out.Refused(link, requestId, Refusal.BadRequest, e.Message);
            return;
        }
        if (outcome == ApplyOutcome.Gap)
        {
            _out.Refused(link, requestId, Refusal.Conflict, $"forwarded seq {seq} of primary {q} leaves a gap after {_backup.Seq(q)}");
            return;
        }
        _out.Forwarded(link, requestId, _backup.Seq(q));
    }

    /// <summary>
    /// Lost primary <paramref name="q"/>'s life <paramref name="newLife"/> was rebuilt from exactly what this backup
    /// holds, (<paramref name="oldLife"/>, <paramref name="seq"/>), but its Serving never came here: take the new
    /// life, so the new life's retained deltas can be forwarded next. Answered like a Forward, with the seq held.
    /// </summary>
    public void Adopt(long link, ulong requestId, int q, long oldLife, long seq, long newLife)
    {
        if ((uint)q >= (uint)_slots.Length)
        {
            _out.Refused(link, requestId, Refusal.BadRequest, $"no primary {q}");
            return;
        }
        Slot s = _slots[q];
        if (s.Serving || !s.Loaded || s.Life != oldLife || _backup.Seq(q) != seq || newLife == oldLife)
        {
            _out.Refused(link, requestId, Refusal.Conflict,
                $"primary {q} is {(s.Serving ? "serving" : !s.Loaded ? "not held here" : $"held in life {s.Life} seq {_backup.Seq(q)}")}; adopting life {newLife} from life {oldLife} seq {seq} is refused");
            return;
        }
        EnterLife(s, newLife, oldLife, seq);
        _out.Forwarded(link, requestId, seq);
    }

    /// <summary>Starts a non-blocking cut for the lost set: every other primary must be serving here and sends a snapshot on its delta stream.</summary>
    public void ResidualRequest(long link, ulong requestId, ReadOnlySpan<int> lost)
    {
        int n = _slots.Length;
        var set = new bool[n];
        foreach (int l in lost)
        {
            if ((uint)l >= (uint)n || set[l])
            {
                _out.Refused(link, requestId, Refusal.BadRequest, "the lost set must hold distinct primaries");
                return;
            }
            set[l] = true;
        }
        if (lost.IsEmpty)
        {
            _out.Refused(link, requestId, Refusal.BadRequest, "the lost set is empty");
            return;
        }
        if (!IsComplete)
        {
            _out.Refused(link, requestId, Refusal.NotReady, "this backup is still being re-encoded");
            return;
        }
        for (int p = 0; p < n; p++)
        {
            if (set[p] && _slots[p].Serving)
            {
                _out.Refused(link, requestId, Refusal.Conflict, $"primary {p} is serving, not lost");
                return;
            }
            if (!set[p] && (!_slots[p].Serving || _slots[p].Link == 0))
            {
                _out.Refused(link, requestId, Refusal.NotReady, $"primary {p} is neither lost nor serving");
                return;
            }
        }
        var cut = new Cut(link, requestId, _nextToken++, lost.ToArray(), _backup.Words, n);
        _cuts.Add(cut);
        for (int p = 0; p < n; p++)
        {
            if (set[p]) continue;
            cut.Waiting[p] = true;
            cut.Folding[p] = true;
            cut.Outstanding++;
        }
        for (int p = 0; p < n; p++)
            if (cut.Waiting[p]) _out.SnapshotRequest(_slots[p].Link, cut.Token);
        if (cut.Outstanding == 0) FinishCut(cut);
    }

    /// <summary>
    /// One chunk of survivor <paramref name="p"/>'s snapshot at <paramref name="seq"/> for the cut <paramref name="token"/>,
    /// folded into the cut as it arrives. The first chunk must come at the seq this backup holds for p (it was sent
    /// in order with p's deltas); from then on p's deltas, all later than the snapshot, are no longer folded in, so
    /// they may overtake the snapshot's other chunks. Chunks come in word order on p's link; anything else is a
    /// protocol error that drops the link (and so the cut).
    /// </summary>
    public void CutChunk(int p, long link, ulong token, long seq, int totalWords, int offset, ReadOnlySpan<ulong> words)
    {
        if (_slots[p].Link != link) return;
        Cut? cut = _cuts.Find(c => c.Token == token);
        if (cut is null || !cut.Waiting[p]) return; // the cut ended before this survivor answered
        if (cut.Folding[p])
        {
            if (offset != 0)
            {
                Drop(p, $"invalid snapshot from primary {p}: its first chunk for cut {token} is at word {offset}");
                return;
            }
            if (seq != _backup.Seq(p))
            {
                EndCut(cut);
                _out.Refused(cut.Requester, cut.RequestId, Refusal.Conflict, $"primary {p}'s snapshot is at seq {seq} but its deltas reached {_backup.Seq(p)} here");
                return;
            }
            cut.Folding[p] = false;
            cut.Snapshots[p] = new ChunkCursor(totalWords);
            cut.EnsureWords(totalWords);
        }
        switch (cut.Snapshots[p].Judge(totalWords, offset, words.Length, out string? why))
        {
            case ChunkVerdict.Invalid:
                Drop(p, $"invalid snapshot from primary {p}: {why}");
                return;
            case ChunkVerdict.Duplicate:
                return;
        }
        _backup.Code.Kernel.MulXor(MemoryMarshal.AsBytes(cut.Words.AsSpan(offset, words.Length)), MemoryMarshal.AsBytes(words), _backup.Coefficient(p));
        cut.Snapshots[p].Advance(words.Length);
        if (!cut.Snapshots[p].Complete) return;
        cut.Waiting[p] = false;
        if (--cut.Outstanding == 0) FinishCut(cut);
    }

    private void FinishCut(Cut cut)
    {
        int t = cut.Lost.Length;
        var seqs = new long[t];
        var lengths = new long[t];
        int maxWords = 0;
        for (int i = 0; i < t; i++)
        {
            seqs[i] = _backup.Seq(cut.Lost[i]);
            lengths[i] = _backup.Length(cut.Lost[i]);
            maxWords = Math.Max(maxWords, Bits.Delta.WordsFor(lengths[i]));
        }
        cut.EnsureWords(maxWords);
        _cuts.Remove(cut);
        _out.Residual(cut.Requester, cut.RequestId, seqs, lengths, cut.TakeWords(), maxWords);
    }
}
