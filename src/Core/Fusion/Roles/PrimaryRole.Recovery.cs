using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Recovery of a restarted primary, driven by replies and ticks: wait until every backup is attached or known
/// down (refused, or silent for the suspicion timeout — a paused backup is not waited out), ask the attached ones
/// for their reports, let <see cref="RecoveryPlanner"/> choose, then reconcile or cut, and finally resume in a new
/// life. Any refusal or lost link starts a fresh attempt.
/// </summary>
internal sealed partial class PrimaryRole
{
    private readonly RecoveryState _recovery;
    private ulong _nextRequest;

    /// <summary>Why the last attempt did not finish, for the periodic "waiting" log line.</summary>
    public string RecoveryWaiting => _recovery.Reason;

    public void StatusReply(int backup, long link, ulong requestId, BackupReport report)
    {
        if (!Expect(backup, link, requestId, Phase.Status)) return;
        _recovery.Reports[backup] = report;
        if (_recovery.Outstanding.Count == 0) Decide();
    }

    public void Retained(int backup, long link, ulong requestId, IReadOnlyList<DeltaRecord> deltas)
    {
        if (!Expect(backup, link, requestId, Phase.Retained)) return;
        ReconcileStep step = _recovery.Steps[_recovery.Step];
        // A backup may answer with the first deltas only (what fits in one frame); the rest is asked for next.
        if (deltas.Count == 0 || deltas.Count > step.To - step.From)
        {
            Retry($"backup {backup} returned {deltas.Count} deltas, {step.To - step.From} asked");
            return;
        }
        _recovery.Steps[_recovery.Step] = step with { From = step.From + deltas.Count };
        _recovery.Phase = Phase.Forward;
        foreach (DeltaRecord d in deltas)
        {
            ulong id = ++_nextRequest;
            _recovery.Outstanding[id] = step.Behind;
            _out.Forward(step.Behind, id, step.Primary, step.Life, d);
        }
    }

    public void Forwarded(int backup, long link, ulong requestId, long seq)
    {
        if (!Expect(backup, link, requestId, Phase.Forward) || _recovery.Outstanding.Count > 0) return;
        ReconcileStep step = _recovery.Steps[_recovery.Step];
        if (step.From == step.To) _recovery.Step++;
        if (_recovery.Step < _recovery.Steps.Length) RequestRetained();
        else Retry("reconciled lagging backups; checking again", immediately: true);
    }

    /// <summary>A backup's residual cut; the role keeps <paramref name="words"/> until the attempt ends, and nobody else may change them.</summary>
    public void Residual(int backup, long link, ulong requestId, ReadOnlySpan<long> seqs, ReadOnlySpan<long> lengths, ReadOnlyMemory<ulong> words)
    {
        if (!Expect(backup, link, requestId, Phase.Cut)) return;
        RecoveryPlan plan = _recovery.Plan!;
        if (seqs.Length != plan.Lost.Length || lengths.Length != plan.Lost.Length)
        {
            Retry($"backup {backup}'s residual covers {seqs.Length} primaries, {plan.Lost.Length} asked");
            return;
        }
        int mine = Array.IndexOf(plan.Lost, PrimaryIndex);
        if (seqs[mine] != plan.BasisSeq)
        {
            Retry($"backup {backup} cut this primary at seq {seqs[mine]}, not {plan.BasisSeq}");
            return;
        }
        if (_recovery.CutSeqs is { } agreed && (!agreed.AsSpan().SequenceEqual(seqs) || !_recovery.CutLengths!.AsSpan().SequenceEqual(lengths)))
        {
            Retry("backups answered the cut at different seqs");
            return;
        }
        _recovery.CutSeqs = seqs.ToArray();
        _recovery.CutLengths = lengths.ToArray();
        // The residual arrived chunk by chunk into words written for this call alone: kept, not copied.
        int slot = Array.IndexOf(plan.Chosen, backup);
        _recovery.Residuals[slot] = words;
        if (_recovery.Outstanding.Count > 0) return;
        ulong[] solved = Code.SolveResidual(plan.Lost, plan.Chosen, _recovery.Residuals, _recovery.CutLengths, mine);
        Array.Clear(_recovery.Residuals);
        Resume(solved, _recovery.CutLengths[mine], plan.BasisSeq, plan.BasisLife, plan, rebuilt: true);
    }

    public void Refused(int backup, long link, ulong requestId, Refusal why, string message)
    {
        if (_links[backup].Link != link || !_recovery.Outstanding.ContainsKey(requestId)) return;
        Retry($"backup {backup} refused ({why}): {message}");
    }

    private bool Expect(int backup, long link, ulong requestId, Phase phase)
    {
        if (_serving || _links[backup].Link != link || _recovery.Phase != phase) return false;
        return _recovery.Outstanding.Remove(requestId);
    }

    private void RecoveryLinkLost(int backup)
    {
        if (_serving || _recovery.Phase == Phase.Idle) return;
        if (_recovery.Outstanding.ContainsValue(backup) || _recovery.Reports[backup] is not null)
            Retry($"backup {backup} went away during the attempt");
    }

    private void AdvanceRecovery(long now)
    {
        _recovery.LastTick = now;
        if (_serving || _recovery.Phase != Phase.Idle || now < _recovery.NotBefore) return;
        var waitingFor = new List<int>();
        var attached = new List<int>();
        for (int j = 0; j < _links.Length; j++)
        {
            BackupLinkState l = _links[j];
            if (l.Attached) attached.Add(j);
            else if (!l.Refused && now - l.DownSince <= _suspectAfterMs) waitingFor.Add(j);
            else _recovery.Suspected.Add(j);
        }
        // A backup left out would keep whatever deltas of a lost primary it alone received and disagree with the
        // rebuilt list; so every backup not known down takes part. One that is down, refused or silent past the
        // timeout is re-encoded when it comes back.
        if (waitingFor.Count > 0)
        {
            _recovery.Reason = $"backup {waitingFor[0]} has not attached yet and is not known to be down";
            return;
        }
        if (attached.Count == 0)
        {
            _recovery.Reason = "no backup is reachable";
            return;
        }
        foreach (int j in attached) _recovery.Suspected.Remove(j);
        _recovery.Attempts++;
        _recovery.Phase = Phase.Status;
        Array.Clear(_recovery.Reports);
        _recovery.Outstanding.Clear();
        _out.AttemptStarted();
        foreach (int j in attached)
        {
            ulong id = ++_nextRequest;
            _recovery.Outstanding[id] = j;
            _out.Status(j, id);
        }
    }

    private void Decide()
    {
        BackupReport[] reports = _recovery.Reports.Where(r => r is not null).ToArray()!;
        RecoveryPlan plan = RecoveryPlanner.Plan(reports, PrimaryIndex, Code.Primaries, Code.Faults);
        _recovery.Plan = plan;
        switch (plan.Kind)
        {
            case PlanKind.Fresh:
                Resume([], 0, 0, 0, plan, rebuilt: false);
                break;
            case PlanKind.Wait:
                Retry(plan.Reason);
                break;
            case PlanKind.Reconcile:
                _recovery.Steps = plan.Steps;
                _recovery.Step = 0;
                RequestRetained();
                break;
            default:
                _recovery.Phase = Phase.Cut;
                _recovery.Residuals = new ReadOnlyMemory<ulong>[plan.Chosen.Length];
                _recovery.CutSeqs = null;
                _recovery.CutLengths = null;
                foreach (int j in plan.Chosen)
                {
                    ulong id = ++_nextRequest;
                    _recovery.Outstanding[id] = j;
                    _out.ResidualRequest(j, id, plan.Lost);
                }
                break;
        }
    }

    private void RequestRetained()
    {
        ReconcileStep step = _recovery.Steps[_recovery.Step];
        ulong id = ++_nextRequest;
        if (step.AdoptFrom != 0)
        {
            // Answered by Forwarded, like a forwarded delta; the step then goes on as an ordinary roll-forward.
            _recovery.Steps[_recovery.Step] = step with { AdoptFrom = 0 };
            _recovery.Phase = Phase.Forward;
            _recovery.Outstanding[id] = step.Behind;
            _out.Adopt(step.Behind, id, step.Primary, step.AdoptFrom, step.From, step.Life);
            return;
        }
        _recovery.Phase = Phase.Retained;
        _recovery.Outstanding[id] = step.Source;
        _out.RetainedRequest(step.Source, id, step.Primary, step.From, step.To);
    }

    /// <summary>
    /// Ends the attempt. An immediate retry starts the next one at once; any other waits a delay that doubles with
    /// each attempt, up to <see cref="MaxRetryDelayMs"/>: a conflict that clears in a moment costs a few
    /// milliseconds, one that lasts does not flood the backups with status requests.
    /// </summary>
    private void Retry(string reason, bool immediately = false)
    {
        _recovery.Reason = reason;
        _recovery.Phase = Phase.Idle;
        _recovery.Outstanding.Clear();
        if (immediately)
        {
            _recovery.NotBefore = 0;
            AdvanceRecovery(_recovery.LastTick);
            return;
        }
        _recovery.NotBefore = _recovery.LastTick + Math.Min(MaxRetryDelayMs, MinRetryDelayMs << Math.Min(_recovery.Attempts, 8));
    }

    /// <summary>
    /// Installs the list and starts the new life: backups whose contribution is exactly the basis resume in it;
    /// backups holding nothing of this primary get a snapshot; every other attached backup is re-encoded.
    /// </summary>
    /// <param name="words">The list's words, which the list takes over (no copy: at 10^10 bits a copy is 1.25 GB more).</param>
    private void Resume(ulong[] words, long length, long seq, long basisLife, RecoveryPlan plan, bool rebuilt)
    {
        _list.Take(words, length);
        _seq = seq;
        _life = RecoveryPlanner.MakeLife(plan.NextLifeCounter, _lifeNonce);
        (_basisLife, _basisSeq, _basisLength) = rebuilt ? (basisLife, seq, length) : (0, 0, 0);
        _acknowledged = seq;
        _serving = true;
        _recovery.Phase = Phase.Idle;
        _recovery.Outstanding.Clear();
        for (int j = 0; j < _links.Length; j++)
        {
            BackupLinkState l = _links[j];
            if (!l.Attached) continue;
            BackupReport? report = _recovery.Reports[j];
            if (rebuilt && report is not null && plan.Current.Contains(j))
            {
                _out.Serving(j, basisLife, _life, seq);
                l.Acked = seq;
                l.Streaming = true;
                continue;
            }
            // Anything else holds another life than the new one: a snapshot if it holds nothing, else a re-encode.
            if (report is not null) l.Seen = report.Primaries[PrimaryIndex];
            StartStreaming(j);
        }
        int[] suspected = _recovery.Suspected.Order().ToArray();
        _out.Recovered(new RecoveryResult(rebuilt, plan.Lost, suspected, length, seq, _life, _recovery.Attempts));
    }

    private const long MinRetryDelayMs = 1;
    private const long MaxRetryDelayMs = 20;

    private enum Phase : byte
    {
        Idle,
        Status,
        Retained,
        Forward,
        Cut,
    }

    private sealed class RecoveryState(long now)
    {
        public Phase Phase;
        public string Reason = "starting";
        public long NotBefore = now;
        public long LastTick = now;
        public int Attempts;
        public readonly HashSet<int> Suspected = [];
        public readonly Dictionary<ulong, int> Outstanding = [];
        public BackupReport?[] Reports = [];
        public RecoveryPlan? Plan;
        public ReconcileStep[] Steps = [];
        public int Step;
        public ReadOnlyMemory<ulong>[] Residuals = [];
        public long[]? CutSeqs;
        public long[]? CutLengths;
    }
}
