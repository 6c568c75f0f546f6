using BitFusion.Core.Bits;
using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A fusion primary as a pure state machine: its list, its life (incarnation) and seq, a link per backup, and the
/// window of requests waiting for acknowledgements. A write completes once every streaming backup acknowledged it
/// and at least <c>minAckBackups</c> are streaming; below that minimum, writes fail fast (not done) and those in
/// flight end as unknown — nothing waits for a backup that may never answer. A backup silent for the suspicion
/// timeout is dropped; when it attaches again it catches up from this primary's recent deltas, or is re-encoded.
/// Recovery after a restart lives in <see cref="PrimaryRole"/>.Recovery. Not thread-safe: the caller serialises
/// every input.
/// </summary>
internal sealed partial class PrimaryRole : IDisposable
{
    /// <summary>At most 64 MiB of recent deltas kept for resend: past that a lagging backup is re-encoded instead.</summary>
    private const long ResendWords = 8 << 20;

    /// <summary>Clients whose recent writes are remembered for their retries; the least recently heard is forgotten first.</summary>
    private const int DedupClients = 1024;

    private readonly IPrimaryOutput _out;
    private readonly PackedBitList _list = new();
    private readonly BackupLinkState[] _links;
    private readonly PendingRing _pending;
    private readonly RetainedDeltas _sent;
    private readonly WriteDedup _dedup;
    private readonly long _suspectAfterMs;
    private readonly int _minAck;
    private readonly ushort _lifeNonce;
    private long _seq;
    private long _life;
    private bool _serving;
    private SharedSnapshot? _readSnapshot;

    /// <summary>The (life, seq) a recovery rebuilt this life from, and the list's length there; 0 for a fresh start.</summary>
    private long _basisLife, _basisSeq, _basisLength;

    /// <summary>The highest seq of this life acknowledged to a client as done.</summary>
    private long _acknowledged;

    public PrimaryRole(FusionCode code, int primaryIndex, int window, int minAckBackups, long suspectAfterMs, ushort lifeNonce, long now, IPrimaryOutput output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minAckBackups, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minAckBackups, code.Faults);
        Code = code;
        PrimaryIndex = primaryIndex;
        _out = output;
        _minAck = minAckBackups;
        _suspectAfterMs = suspectAfterMs;
        _lifeNonce = lifeNonce;
        _pending = new PendingRing(window);
        _sent = new RetainedDeltas(window, ResendWords);
        _dedup = new WriteDedup(DedupClients, window);
        _links = new BackupLinkState[code.Faults];
        for (int j = 0; j < _links.Length; j++) _links[j] = new BackupLinkState { DownSince = now };
        _recovery = new RecoveryState(now) { Reports = new BackupReport?[code.Faults] };
    }

    public FusionCode Code { get; }
    public int PrimaryIndex { get; }
    public bool IsServing => _serving;
    public long Seq => _seq;
    public long Life => _life;

    /// <summary>The (life, seq) a recovery rebuilt this life from; (0, 0) for a fresh start.</summary>
    public (long Life, long Seq) Basis => (_basisLife, _basisSeq);
    public long Count => _list.Count;
    public ReadOnlySpan<ulong> Words => _list.Words;

    /// <summary>Backups that acknowledge writes now.</summary>
    public int StreamingBackups
    {
        get
        {
            int k = 0;
            foreach (BackupLinkState l in _links)
                if (l.Streaming) k++;
            return k;
        }
    }

    public bool IsStreamingTo(int backup) => _links[backup].Streaming;

    /// <summary>The window of requests waiting for acknowledgements is full: a request now would be refused.</summary>
    public bool WindowFull => _pending.IsFull;

    /// <summary>Writes sent to the backups and not yet acknowledged by all of them.</summary>
    public int InFlight => _pending.Count;

    /// <summary>How many deltas the slowest streaming backup has yet to acknowledge.</summary>
    public long BackupLag
    {
        get
        {
            long lag = 0;
            foreach (BackupLinkState l in _links)
                if (l.Streaming) lag = Math.Max(lag, _seq - l.Acked);
            return lag;
        }
    }

    /// <summary>How many backups this primary dropped after they went silent.</summary>
    public int Suspicions { get; private set; }

    public void LinkUp(int backup, long link, long now)
    {
        BackupLinkState l = _links[backup];
        if (l.Link != 0) DropLink(backup, now);
        l.Link = link;
        l.Refused = false;
        l.DownSince = now;
        _out.Attach(backup, _life, _seq, _list.Count, !_serving);
    }

    public void LinkDown(int backup, long link, long now)
    {
        if (_links[backup].Link != link) return;
        DropLink(backup, now);
        RecoveryLinkLost(backup);
        Settle();
    }

    /// <summary>A dial found nothing listening: the backup is down, and a recovery need not wait for it.</summary>
    public void DialRefused(int backup, long now)
    {
        if (_links[backup].Link != 0) return;
        _links[backup].Refused = true;
        AdvanceRecovery(now);
    }

    public void Attached(int backup, long link, PrimaryView view, bool complete, long now)
    {
        BackupLinkState l = _links[backup];
        if (l.Link != link) return;
        l.Attached = true;
        l.Seen = view;
        l.Complete = complete;
        if (_serving) StartStreaming(backup);
        else AdvanceRecovery(now);
    }

    public void Ack(int backup, long link, long seq)
    {
        BackupLinkState l = _links[backup];
        if (l.Link != link || !l.Streaming) return;
        if (seq > l.Acked) l.Acked = seq;
        Settle();
    }

    public void SnapshotRequest(int backup, long link, ulong token)
    {
        if (_links[backup].Link != link || !_serving) return;
        _out.Snapshot(backup, token, _life, _seq, _list.Words, _list.Count, _basisLife, _basisSeq);
    }

    /// <summary>Suspects backups silent for the timeout, and moves a recovery on.</summary>
    public void Tick(long now)
    {
        for (int j = 0; j < _links.Length; j++)
        {
            BackupLinkState l = _links[j];
            if (l.Link == 0 || now - Math.Max(l.DownSince, _out.LastHeard(j)) <= _suspectAfterMs) continue;
            Suspicions++;
            _recovery.Suspected.Add(j);
            _out.Close(j, $"backup {j} silent for more than {_suspectAfterMs} ms: suspected");
            DropLink(j, now);
            RecoveryLinkLost(j);
        }
        Settle();
        if (!_serving) AdvanceRecovery(now);
    }

    /// <summary>
    /// A client's write. With a nonzero <paramref name="clientId"/>, a retry of the same <paramref name="clientSeq"/>
    /// (marked <paramref name="resend"/> after a lost connection) is never applied twice: it joins the write in
    /// flight, gets its first result, or learns the outcome is unknown when that is no longer remembered here.
    /// </summary>
    public void Write(long client, ulong requestId, ulong clientId, ulong clientSeq, bool resend, in ListMutation mutation)
    {
        if (clientId != 0 && !FirstTime(client, requestId, clientId, clientSeq, resend)) return;
        if (!Admit(client, requestId))
        {
            if (clientId != 0) _dedup.Forget(clientId, clientSeq);
            return;
        }
        Delta delta;
        try
        {
            delta = mutation.ApplyTo(_list);
        }
        catch (ArgumentException e)
        {
            if (clientId != 0) _dedup.Complete(clientId, clientSeq, new WriteResult(WriteOutcome.Refused, _list.Count, 0));
            _out.Failed(client, requestId, Outcome.OutOfRange, e.Message);
            return;
        }
        _seq++;
        _sent.Add(_seq, delta);
        long watermark = Watermark();
        for (int j = 0; j < _links.Length; j++)
            if (_links[j].Streaming) _out.Delta(j, _seq, watermark, delta);
        _pending.Add(new PendingOp { Seq = _seq, Client = client, RequestId = requestId, Value = _list.Count, IsWrite = true, ClientId = clientId, ClientSeq = clientSeq });
    }

    /// <summary>True for a write to apply now; otherwise the retry has been answered or joined to its first try.</summary>
    private bool FirstTime(long client, ulong requestId, ulong clientId, ulong clientSeq, bool resend)
    {
        DedupDecision seen = _dedup.Begin(clientId, clientSeq, resend);
        switch (seen.Verdict)
        {
            case DedupVerdict.New:
                return true;
            case DedupVerdict.InFlight when _pending.Redirect(clientId, clientSeq, client, requestId):
                return false;
            case DedupVerdict.Done when seen.First.Outcome == WriteOutcome.Applied:
                _out.Done(client, requestId, seen.First.Value);
                return false;
            case DedupVerdict.Done when seen.First.Outcome == WriteOutcome.Refused:
                _out.Failed(client, requestId, Outcome.OutOfRange, $"write {clientSeq} was refused when first tried: its index was out of range for a list of Count {seen.First.Value}");
                return false;
            default:
                _out.Failed(client, requestId, Outcome.Unknown, $"write {clientSeq} of client {clientId:x16} may or may not have been applied, and this primary no longer knows");
                return false;
        }
    }

    /// <summary>Answers with the state as of now, once every earlier write is durable, so no client sees a write a crash could undo.</summary>
    public void Read(long client, ulong requestId, ReadKind kind, long index)
    {
        if (!Admit(client, requestId)) return;
        var op = new PendingOp { Seq = _seq, Client = client, RequestId = requestId };
        switch (kind)
        {
            case ReadKind.Get when (ulong)index >= (ulong)_list.Count:
                _out.Failed(client, requestId, Outcome.OutOfRange, $"Index {index} is out of range for a list of Count {_list.Count}.");
                return;
            case ReadKind.Get:
                op.Value = _list.Get(index) ? 1 : 0;
                break;
            case ReadKind.Count:
                op.Value = _list.Count;
                break;
            default:
                // Reads that arrive at the same seq share one copy, so many readers cost one list, not one each.
                op.Snapshot = SharedSnapshot.Share(ref _readSnapshot, _seq, _list.Words, _list.Count);
                break;
        }
        if (_pending.Count == 0) Answer(op);
        else _pending.Add(op);
    }

    public void Dispose()
    {
        while (_pending.Count > 0)
        {
            _pending.Take().Snapshot?.Release();
        }
        _sent.Clear();
        _list.Dispose();
    }

    private bool Admit(long client, ulong requestId)
    {
        string? why = !_serving ? "the primary is recovering"
            : StreamingBackups < _minAck ? $"only {StreamingBackups} of {_links.Length} backups acknowledge writes; minAckBackups is {_minAck}"
            : _pending.IsFull ? "the primary's window is full"
            : null;
        if (why is null) return true;
        _out.Failed(client, requestId, Outcome.NotDone, why);
        return false;
    }

    /// <summary>
    /// Brings an attached backup into the stream: a snapshot if it holds nothing of this primary; nothing to do if it
    /// is exactly current; a resend of the deltas it misses if it lags in this life and they are still here; Serving
    /// and that resend if it holds exactly the basis this life was rebuilt from; otherwise its contribution is not
    /// this primary's list (another life, or ahead) and it is re-encoded.
    /// </summary>
    private void StartStreaming(int backup)
    {
        BackupLinkState l = _links[backup];
        PrimaryView v = l.Seen;
        if (!v.Loaded)
        {
            Load(backup);
        }
        else if (v.Life == _life && v.Seq <= _seq && !v.Serving)
        {
            // The Attach left with the seq of its moment (pipelined behind the Hello), and the backup has since moved
            // past it in this same life (for example, a recovery of another primary that counted this one as lost forwarded
            // it this primary's retained deltas): it
            // took this primary for one that lost its state. Attaching again with the seq of now makes it serving.
            _out.Attach(backup, _life, _seq, _list.Count, recovering: false);
        }
        else if (v.Life == _life && v.Seq <= _seq && _sent.Covers(v.Seq, _seq))
        {
            Resend(backup, v.Seq);
        }
        else if (_basisLife != 0 && v.Life == _basisLife && v.Seq == _basisSeq && _sent.Covers(v.Seq, _seq))
        {
            // It holds exactly the list this life was rebuilt from, but missed the Serving that moved it into this
            // life (its link dropped meanwhile): moving it now, and resending what followed, spares a re-encode.
            _out.Serving(backup, _basisLife, _life, _basisSeq);
            Resend(backup, v.Seq);
        }
        else
        {
            _out.Reencode(backup);
        }
    }

    /// <summary>
    /// Gives a backup that holds nothing of this primary the list as of the lowest seq another streaming backup
    /// acknowledged, then the deltas since as ordinary deltas, which it applies and retains: a delta still on its way
    /// to another backup is so retained here too, ready to forward if this primary dies before it arrives there. A
    /// list sent at the current seq would hold that delta where no recovery can take it out, and with a second primary
    /// lost the other backup could never be rolled forward (simulation seed 349074). Never below a write acknowledged
    /// to a client: the list alone holds those, as a loaded backup counts as current. The list is rolled back on a
    /// copy, which needs the deltas since that seq still kept for resend; without them it goes at the current seq.
    /// </summary>
    private void Load(int backup)
    {
        long from = _seq;
        for (int j = 0; j < _links.Length; j++)
            if (j != backup && _links[j].Streaming) from = Math.Min(from, _links[j].Acked);
        from = Math.Max(from, _acknowledged);
        long length = LengthAt(from);
        if (from == _seq || length < 0 || !_sent.Covers(from, _seq))
        {
            _out.Snapshot(backup, 0, _life, _seq, _list.Words, _list.Count, _basisLife, _basisSeq);
            _links[backup].Acked = 0;
            _links[backup].Streaming = true;
            return;
        }
        int words = Delta.WordsFor(Math.Max(length, _list.Count));
        foreach (DeltaRecord d in _sent.Range(from, _seq)) words = Math.Max(words, d.View.EndWord);
        ulong[] rolledBack = WordBuffers.Rent(words);
        try
        {
            Span<ulong> list = rolledBack.AsSpan(0, words);
            list.Clear();
            _list.Words.CopyTo(list);
            foreach (DeltaRecord d in _sent.Range(from, _seq)) DeltaMath.MulXor(Code.Kernel, list, d.View, 1);
            _out.Snapshot(backup, 0, _life, from, list, length, _basisLife, _basisSeq);
        }
        finally
        {
            WordBuffers.Return(rolledBack);
        }
        Resend(backup, from);
        _links[backup].Acked = 0;
    }

    /// <summary>The list's length at <paramref name="seq"/> of this life, or -1 when no delta kept here tells it.</summary>
    private long LengthAt(long seq)
    {
        if (seq == _basisSeq) return _basisLength;
        if (seq < _basisSeq || !_sent.Covers(seq - 1, seq)) return -1;
        foreach (DeltaRecord d in _sent.Range(seq - 1, seq)) return d.NewLength;
        return -1;
    }

    /// <summary>Sends a backup the deltas after its <paramref name="seq"/> and counts it as streaming from there.</summary>
    private void Resend(int backup, long seq)
    {
        BackupLinkState l = _links[backup];
        long watermark = Watermark();
        foreach (DeltaRecord d in _sent.Range(seq, _seq)) _out.Delta(backup, d.Seq, watermark, d.View);
        l.Acked = seq;
        l.Streaming = true;
    }

    private void DropLink(int backup, long now)
    {
        BackupLinkState l = _links[backup];
        l.Link = 0;
        l.Attached = false;
        l.Streaming = false;
        l.DownSince = now;
    }

    private long Watermark()
    {
        long min = long.MaxValue;
        foreach (BackupLinkState l in _links)
            if (l.Streaming) min = Math.Min(min, l.Acked);
        return min == long.MaxValue ? 0 : min;
    }

    /// <summary>Completes what every streaming backup acknowledged; below the minimum, ends everything in flight.</summary>
    private void Settle()
    {
        if (_pending.Count == 0) return;
        if (StreamingBackups < _minAck)
        {
            string why = $"only {StreamingBackups} of {_links.Length} backups acknowledge writes; minAckBackups is {_minAck}";
            while (_pending.Count > 0)
            {
                PendingOp op = _pending.Take();
                op.Snapshot?.Release();
                if (op.ClientId != 0) _dedup.Complete(op.ClientId, op.ClientSeq, new WriteResult(WriteOutcome.Unknown, op.Value, op.Seq));
                _out.Failed(op.Client, op.RequestId, op.IsWrite ? Outcome.Unknown : Outcome.NotDone, why);
            }
            return;
        }
        long durable = Watermark();
        while (_pending.Count > 0 && _pending.Head.Seq <= durable) Answer(_pending.Take());
    }

    private void Answer(in PendingOp op)
    {
        if (op.Snapshot is { } snapshot)
        {
            _out.Bits(op.Client, op.RequestId, snapshot);
        }
        else
        {
            if (op.ClientId != 0) _dedup.Complete(op.ClientId, op.ClientSeq, new WriteResult(WriteOutcome.Applied, op.Value, op.Seq));
            _acknowledged = Math.Max(_acknowledged, op.Seq);
            _out.Done(op.Client, op.RequestId, op.Value);
        }
    }
}
