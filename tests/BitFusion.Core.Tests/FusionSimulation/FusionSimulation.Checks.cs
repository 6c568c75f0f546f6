using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// The checks of every run: an acknowledged write is never lost while the faults stay within the budget of f (a
/// recovery reproduces the primary's history at a seq no lower than any acknowledged write), reads return a state of
/// that history, and once faults stop the cluster settles within a bounded time to backups whose words decode to
/// exactly the primaries' lists.
/// </summary>
internal sealed partial class FusionSimulation
{
    private long[]? _acked;

    public Lineage[] Lineages { get; }

    public long[] AckedSeq => _acked ??= new long[Options.Primaries];

    public void Acknowledged(int primary, long seq) => AckedSeq[primary] = Math.Max(AckedSeq[primary], seq);

    public void CheckRecovery(int primary, PrimaryRole role, RecoveryResult result)
    {
        if (result.Seq < AckedSeq[primary])
        {
            if (AckedSeq[primary] > Forfeited[primary])
            {
                Fail($"P{primary} came back at seq {result.Seq}, but seq {AckedSeq[primary]} was acknowledged to a client: an acknowledged write is lost"
                     + (Forfeited[primary] > 0 ? $" (only writes up to seq {Forfeited[primary]} were acknowledged while the faults exceeded f)" : ""));
                return;
            }
            PermittedLosses++;
            LostAckedWrites += AckedSeq[primary] - result.Seq;
            Trace($"P{primary} lost acknowledged seqs {result.Seq + 1}..{AckedSeq[primary]}, acknowledged while the faults exceeded f (minAckBackups {Options.MinAckBackups} < f)");
            AckedSeq[primary] = result.Seq;
        }
        (Lives[primary], Bases[primary]) = (role.Life, role.Basis);
        if (!Lineages[primary].Matches(result.Seq, role.Words, role.Count, out string why))
        {
            Fail($"P{primary} rebuilt a list that is not its history: {why}");
            return;
        }
        Lineages[primary].ForgetAbove(result.Seq);
    }

    public void CheckRead(int primary, ReadOnlySpan<ulong> words, long length, long seq)
    {
        if (!Lineages[primary].Matches(seq, words, length, out string why)) Fail($"P{primary} answered a read with a state not in its history: {why}");
    }

    private bool[][]? _inSync;

    /// <summary>Per primary, the backups it streamed to when it last served: for a primary that is down, the backups that hold its current state.</summary>
    private bool[][] InSync => _inSync ??= Primaries.Select(_ => Enumerable.Repeat(true, Options.Faults).ToArray()).ToArray();

    public void RememberSync(SimPrimaryNode p)
    {
        if (p.Role is not { IsServing: true } role) return;
        for (int j = 0; j < Options.Faults; j++) InSync[p.Index][j] = role.IsStreamingTo(j);
    }

    /// <summary>
    /// Servers the nemesis counts against the fault budget f, as an operator sees them: a primary down, paused or
    /// recovering; a backup down, paused, incomplete, or out of sync with some primary (not streamed to by a serving
    /// one, or not streamed to by a down one when it died).
    /// </summary>
    private int Faulty()
    {
        int faulty = 0;
        foreach (SimPrimaryNode p in Primaries)
        {
            if (p.Role is { IsServing: true }) RememberSync(p);
            if (p.State != ProcessState.Up || p.Role is not { IsServing: true }) faulty++;
        }
        foreach (SimBackupNode b in Backups)
            if (!Healthy(b)) faulty++;
        return faulty;
    }

    private bool Healthy(SimBackupNode b) =>
        b.State == ProcessState.Up && b.Role is { IsComplete: true } && Primaries.All(p => InSync[p.Index][b.Index]);

    private long[]? _forfeited;
    private long[]? _lives;
    private (long Life, long Seq)[]? _bases;

    /// <summary>Per primary, the highest seq acknowledged while the faults exceeded f: a recovery may come back below it.</summary>
    private long[] Forfeited => _forfeited ??= new long[Options.Primaries];

    /// <summary>Per primary, the life it last served in, and the (life, seq) that life was rebuilt from.</summary>
    private long[] Lives => _lives ??= new long[Options.Primaries];

    private (long Life, long Seq)[] Bases => _bases ??= new (long, long)[Options.Primaries];

    /// <summary>Recoveries that came back below an acknowledged seq, every lost write acknowledged while the faults exceeded f.</summary>
    public int PermittedLosses { get; private set; }

    /// <summary>Runs past f that ended with recoveries waiting, the acknowledged lists no longer held by enough backups.</summary>
    public int PermittedHangs { get; private set; }

    /// <summary>The acknowledged writes those recoveries lost.</summary>
    public long LostAckedWrites { get; private set; }

    /// <summary>Events after which the faults, counted as the fault model counts them, exceeded f.</summary>
    public long OverBudget { get; private set; }

    /// <summary>
    /// The fault model counts a backup as failed until it is caught up: until it holds every acknowledged write of
    /// every primary. The nemesis cannot see that: a backup that a primary streams to again after a suspicion looks
    /// healthy while its resend is on the way. With minAckBackups = f no write completes without every backup, so a
    /// backup streamed to lacks none, and the two counts agree (checked here after every event). Below f, writes
    /// complete on fewer backups, and each backup that lacks some costs one failure of the budget (docs/protocol.md,
    /// "Failure detection"): the nemesis then can exceed f. Whatever was acknowledged while it does is forfeited, and a
    /// recovery below it is counted, not failed; every write acknowledged while the faults stay within f must survive.
    /// </summary>
    private void CheckBudget()
    {
        int faulty = Faulty(), lacking = 0;
        SimBackupNode? first = null;
        foreach (SimBackupNode b in Backups)
        {
            if (!Healthy(b) || Primaries.All(p => Holds(b, p.Index))) continue;
            lacking++;
            first ??= b;
        }
        if (lacking == 0) return;
        if (Options.MinAckBackups == Options.Faults)
        {
            SimPrimaryNode p = Primaries.First(p => !Holds(first!, p.Index));
            Fail($"{first} is streamed to by every primary but lacks P{p.Index}'s acknowledged seq {AckedSeq[p.Index]} ({first!.Role!.View(p.Index)}), with minAckBackups = f");
            return;
        }
        if (faulty + lacking <= Options.Faults) return;
        if (OverBudget++ == 0) Trace($"past f: {faulty} faulty as the nemesis counts, and {lacking} backups lack acknowledged writes ({first} on {string.Join(",", Primaries.Where(p => !Holds(first!, p.Index)))})");
        for (int p = 0; p < Options.Primaries; p++) Forfeited[p] = Math.Max(Forfeited[p], AckedSeq[p]);
    }

    /// <summary>The backup holds every write of primary <paramref name="p"/> acknowledged so far: in its last life, or at exactly that life's basis.</summary>
    private bool Holds(SimBackupNode b, int p)
    {
        if (AckedSeq[p] == 0) return true;
        PrimaryView v = b.Role!.View(p);
        if (!v.Loaded || v.Seq < AckedSeq[p]) return false;
        return v.Life == Lives[p] || (Bases[p].Life != 0 && v.Life == Bases[p].Life && v.Seq == Bases[p].Seq);
    }

    private bool Settled()
    {
        if (Clients.Any(c => !c.Finished)) return false;
        foreach (SimPrimaryNode p in Primaries)
            if (p.State != ProcessState.Up || p.Role is not { IsServing: true } r || r.StreamingBackups != Options.Faults) return false;
        foreach (SimBackupNode b in Backups)
        {
            if (b.State != ProcessState.Up || b.Role is not { IsComplete: true } r) return false;
            foreach (SimPrimaryNode p in Primaries)
                if (r.State.Seq(p.Index) != p.Role!.Seq || r.View(p.Index).Life != p.Role.Life) return false;
        }
        return true;
    }

    /// <summary>
    /// True when the cluster settled. A run past f may instead end with recoveries that wait for ever, when fewer
    /// backups than there are recovering primaries hold every write acknowledged of them: those lists can no longer
    /// be rebuilt, and waiting rather than guessing is what docs/protocol.md promises there; counted, not failed.
    /// </summary>
    private bool CheckSettled()
    {
        if (Settled()) return true;
        int[] recovering = Primaries.Where(p => p.Role is { IsServing: false }).Select(p => p.Index).ToArray();
        int holders = Backups.Count(b => b.State == ProcessState.Up && b.Role is { IsComplete: true } && recovering.All(p => Holds(b, p)));
        if (OverBudget > 0 && recovering.Length > 0 && Primaries.All(p => p.State == ProcessState.Up) && holders < recovering.Length)
        {
            PermittedHangs++;
            Trace($"past f, {recovering.Length} primaries recover but only {holders} backups hold their acknowledged writes: they wait");
            return false;
        }
        var state = new List<string>();
        foreach (SimPrimaryNode p in Primaries)
            state.Add(p.Role is { } r
                ? $"{p} {p.State} serving={r.IsServing} seq={r.Seq} streaming={r.StreamingBackups}{(r.IsServing ? "" : $" waiting: {r.RecoveryWaiting}")}"
                : $"{p} {p.State}");
        foreach (SimBackupNode b in Backups)
            state.Add(b.Role is { } r ? $"{b} {b.State} complete={r.IsComplete} seqs=[{string.Join(",", Primaries.Select(p => r.State.Seq(p.Index)))}]" : $"{b} {b.State}");
        foreach (SimClient c in Clients) state.Add($"{c} done {c.Done}/{Options.OpsPerClient}");
        Fail($"not settled {Now - FaultsEnd} ms after faults stopped (a hang): {string.Join("; ", state)}");
        return false;
    }

    private void CheckBackupsDecode()
    {
        var states = Primaries.Select(p => new PrimaryState(p.Role!.Words.ToArray(), p.Role.Count, p.Role.Seq)).ToArray();
        foreach (SimBackupNode b in Backups)
        {
            BackupRole role = b.Role!;
            using FusedBackup expected = Code.EncodeBackup(b.Index, states);
            if (!role.State.Words.SequenceEqual(expected.Words))
            {
                Fail($"{b}'s fused words differ from the encoding of the primaries' lists");
                return;
            }
            foreach (SimPrimaryNode p in Primaries)
            {
                PrimaryView v = role.View(p.Index);
                if (v.Seq != p.Role!.Seq || v.Length != p.Role.Count || v.Life != p.Role.Life)
                {
                    Fail($"{b} holds P{p.Index} at life {v.Life:x} seq {v.Seq} length {v.Length}; the primary is at life {p.Role.Life:x} seq {p.Role.Seq} length {p.Role.Count}");
                    return;
                }
            }
        }
    }
}
