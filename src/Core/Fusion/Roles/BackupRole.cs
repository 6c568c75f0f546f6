using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A fused backup server as a pure state machine: holds Σ c·list for every primary, applies each primary's deltas
/// in seq order on the link it attached, acknowledges them, retains them above the watermark for reconciliation,
/// and serves recoveries (<see cref="BackupRole"/>.Recovery). The contribution of each primary is tied to that
/// primary's life (incarnation): a primary that attaches with another life, or below the seq held here, is not
/// trusted; the primary then asks for a re-encode and this backup starts over from every primary's snapshot.
/// Not thread-safe: the caller serialises every input.
/// </summary>
internal sealed partial class BackupRole : IDisposable
{
    private readonly IBackupOutput _out;
    private readonly long _suspectAfterMs;
    private readonly Slot[] _slots;
    private readonly List<Cut> _cuts = [];
    private FusedBackup _backup;
    private ulong _nextToken = 1;

    public BackupRole(FusionCode code, int backupIndex, long suspectAfterMs, IBackupOutput output)
    {
        _out = output;
        _suspectAfterMs = suspectAfterMs;
        _backup = new FusedBackup(code, backupIndex);
        _slots = new Slot[code.Primaries];
        for (int p = 0; p < _slots.Length; p++) _slots[p] = new Slot();
    }

    public int BackupIndex => _backup.BackupIndex;

    /// <summary>The coded state, for inspection (tests, heap accounting, stats).</summary>
    public FusedBackup State => _backup;

    /// <summary>Holds every primary's contribution: a re-encode is finished.</summary>
    public bool IsComplete
    {
        get
        {
            foreach (Slot s in _slots)
                if (!s.Loaded) return false;
            return true;
        }
    }

    /// <summary>How many times this backup threw its state away to be re-encoded.</summary>
    public int Resets { get; private set; }

    public PrimaryView View(int p)
    {
        Slot s = _slots[p];
        return new PrimaryView(s.Loaded, s.Life, _backup.Seq(p), _backup.Length(p), s.Serving, Math.Min(s.Retained.FirstSeq, _backup.Seq(p) + 1), s.BasisLife, s.BasisSeq);
    }

    /// <summary>
    /// Primary <paramref name="p"/> (life, last seq) attached on a new link. A primary that kept its state (a
    /// dropped connection, not a crash) is trusted to resume only in the same life and at or above the seq held
    /// here: it resends what this backup misses as ordinary deltas. Anything else waits for Serving, a snapshot or
    /// a re-encode request.
    /// </summary>
    public void Attach(int p, long link, long life, long seq, bool recovering)
    {
        Slot s = _slots[p];
        if (s.Link != 0 && s.Link != link)
        {
            long old = s.Link;
            Detach(p);
            _out.Close(old, "replaced by a new connection from the same primary");
        }
        s.Link = link;
        s.Serving = !recovering && s.Loaded && s.Life == life && _backup.Seq(p) <= seq;
        _out.Attached(link, View(p), IsComplete);
    }

    public void Delta(int p, long link, long seq, long watermark, in Delta delta)
    {
        Slot s = _slots[p];
        if (s.Link != link) return;
        if (!s.Serving)
        {
            Drop(p, $"primary {p} sent delta {seq} before it was serving");
            return;
        }
        ApplyOutcome outcome;
        try
        {
            outcome = Apply(p, seq, delta);
        }
        catch (ArgumentException e)
        {
            Drop(p, $"invalid delta {seq} from primary {p}: {e.Message}");
            return;
        }
        if (outcome == ApplyOutcome.Gap)
        {
            Drop(p, $"primary {p} skipped from seq {_backup.Seq(p)} to {seq}");
            return;
        }
        s.Retained.DropThrough(watermark);
        _out.Ack(link, _backup.Seq(p));
    }

    /// <summary>
    /// A whole list: token 0 loads a primary this backup does not hold, in <paramref name="life"/> with its basis (so
    /// a backup left at that basis can adopt the life later); any other token answers a cut (as one chunk,
    /// <see cref="CutChunk"/>).
    /// </summary>
    public void Snapshot(int p, long link, ulong token, long life, long seq, ReadOnlySpan<ulong> words, long length, long basisLife, long basisSeq)
    {
        Slot s = _slots[p];
        if (s.Link != link) return;
        if (token != 0)
        {
            CutChunk(p, link, token, seq, words.Length, 0, words);
            return;
        }
        if (s.Loaded)
        {
            Drop(p, $"primary {p} sent a full snapshot, but this backup already holds its list");
            return;
        }
        try
        {
            _backup.Absorb(p, seq, words, length);
        }
        catch (ArgumentException e)
        {
            Drop(p, $"invalid snapshot from primary {p}: {e.Message}");
            return;
        }
        s.Loaded = true;
        EnterLife(s, life, basisLife, basisSeq);
        s.Serving = true;
        _out.Ack(link, seq);
    }

    /// <summary>
    /// A recovered primary resumes in a new life from the state it rebuilt, which it read here as (oldLife, seq).
    /// If this backup moved on meanwhile its contribution no longer matches the primary's list: it re-encodes.
    /// </summary>
    public void Serving(int p, long link, long oldLife, long newLife, long seq)
    {
        Slot s = _slots[p];
        if (s.Link != link) return;
        if (s.Loaded && s.Life == newLife && s.BasisLife == oldLife && s.BasisSeq == seq)
        {
            // Another primary's recovery, which still counted this one as lost, moved it here already (Adopt, then
            // perhaps this life's own deltas): the contribution is this primary's list; later deltas repeat or follow.
            s.Serving = true;
            return;
        }
        if (!s.Loaded || s.Life != oldLife || _backup.Seq(p) != seq)
        {
            Reset($"primary {p} resumed from life {oldLife} seq {seq}, but this backup holds life {s.Life} seq {_backup.Seq(p)}");
            return;
        }
        EnterLife(s, newLife, oldLife, seq);
        s.Serving = true;
    }

    /// <summary>Primary <paramref name="p"/> found this backup's contribution for it untrustworthy.</summary>
    public void Reencode(int p, long link)
    {
        if (_slots[p].Link != link) return;
        Reset($"primary {p} asked for a re-encode");
    }

    public void Disconnected(long link)
    {
        for (int p = 0; p < _slots.Length; p++)
            if (_slots[p].Link == link) Detach(p);
        EndCutsOf(link);
    }

    /// <summary>Suspects every primary silent for longer than the timeout: it stops counting as serving, so cuts stop waiting on it.</summary>
    public void Tick(long now)
    {
        for (int p = 0; p < _slots.Length; p++)
        {
            long link = _slots[p].Link;
            if (link != 0 && now - _out.LastHeard(link) > _suspectAfterMs)
                Drop(p, $"primary {p} silent for more than {_suspectAfterMs} ms");
        }
    }

    public void Dispose()
    {
        foreach (Cut cut in _cuts) cut.Release();
        _cuts.Clear();
        foreach (Slot s in _slots) s.Retained.Clear();
        _backup.Dispose();
    }

    private ApplyOutcome Apply(int p, long seq, in Delta delta)
    {
        long oldLength = _backup.Length(p);
        ApplyOutcome outcome = _backup.Apply(p, seq, delta);
        if (outcome != ApplyOutcome.Applied) return outcome;
        _slots[p].Retained.Add(seq, delta);
        byte c = _backup.Coefficient(p);
        foreach (Cut cut in _cuts)
        {
            if (!cut.Folding[p]) continue;
            cut.EnsureWords(Math.Max(delta.EndWord, Bits.Delta.WordsFor(Math.Max(oldLength, delta.NewLength))));
            DeltaMath.MulXor(_backup.Code.Kernel, cut.Words, delta, c);
        }
        return outcome;
    }

    private void Drop(int p, string reason)
    {
        long link = _slots[p].Link;
        Detach(p);
        EndCutsOf(link);
        _out.Close(link, reason);
    }

    private void Detach(int p)
    {
        Slot s = _slots[p];
        s.Link = 0;
        s.Serving = false;
        for (int i = _cuts.Count - 1; i >= 0; i--)
        {
            Cut cut = _cuts[i];
            if (!cut.Waiting[p]) continue;
            EndCut(cut);
            _out.Refused(cut.Requester, cut.RequestId, Refusal.Conflict, $"primary {p} went away during the cut");
        }
    }

    /// <summary>Throws the coded state away and makes every primary attach again, so each sends its list afresh.</summary>
    private void Reset(string reason)
    {
        Resets++;
        for (int i = _cuts.Count - 1; i >= 0; i--)
        {
            Cut cut = _cuts[i];
            EndCut(cut);
            _out.Refused(cut.Requester, cut.RequestId, Refusal.NotReady, "this backup is being re-encoded");
        }
        var fresh = new FusedBackup(_backup.Code, _backup.BackupIndex);
        _backup.Dispose();
        _backup = fresh;
        foreach (Slot s in _slots)
        {
            s.Loaded = false;
            s.Life = 0;
            (s.BasisLife, s.BasisSeq) = (0, 0);
            s.Serving = false;
            s.Retained.Clear();
            long link = s.Link;
            s.Link = 0;
            if (link != 0) _out.Close(link, $"re-encoding: {reason}");
        }
    }

    // The retained deltas belong to the old life: none of them may be forwarded as the new life's.
    private static void EnterLife(Slot s, long life, long basisLife, long basisSeq)
    {
        s.Life = life;
        (s.BasisLife, s.BasisSeq) = (basisLife, basisSeq);
        s.Retained.Clear();
    }

    private void EndCutsOf(long link)
    {
        for (int i = _cuts.Count - 1; i >= 0; i--)
            if (_cuts[i].Requester == link) EndCut(_cuts[i]);
    }

    private void EndCut(Cut cut)
    {
        _cuts.Remove(cut);
        cut.Release();
    }

    private sealed class Slot
    {
        public long Link;
        public bool Loaded;
        public long Life;
        public long BasisLife;
        public long BasisSeq;
        public bool Serving;
        public readonly RetainedDeltas Retained = new();
    }
}
