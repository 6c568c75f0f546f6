namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// Turns the reports of the reachable backups into a recovery step, with no I/O. The rules:
/// <list type="number">
/// <item>No backup holds this primary: a new cluster if every backup answered, else wait.</item>
/// <item>The lost set is every primary some complete backup sees as not serving; this primary must be in it.</item>
/// <item>Per lost primary, the newest life any backup holds is current. A backup holding an older life is stale:
///   it is neither used nor rolled forward (it may have missed writes another backup acknowledged), only re-encoded
///   later — unless it holds exactly the basis the current life was rebuilt from (a recovery's Serving reached some
///   backups but not this one before that primary failed again): then its contribution is the current life's at
///   that seq, and it adopts the current life and rolls forward like a lagging backup. Without this, a second
///   failure of the same primary could leave fewer than |L| backups current with no primary left to re-encode
///   them, and every recovery would wait for ever. Backups in the current life that lag are rolled forward from the
///   retained deltas of the one that reached furthest — even if that one is stale on another lost primary; one that
///   lags past what is retained is stale too.</item>
/// <item>Any |L| complete backups that are current on every lost primary answer the residual cut.</item>
/// </list>
/// A life is <c>counter &lt;&lt; 16 | nonce</c>: each recovery takes a counter above every one it saw, so a backup
/// left behind by an earlier recovery always shows an older life, and a nonce keeps two recoveries that saw
/// different backups from ever minting the same life.
/// </summary>
internal static class RecoveryPlanner
{
    public static long Counter(long life) => life >> 16;

    public static long MakeLife(long counter, ushort nonce) => counter << 16 | nonce;

    public static RecoveryPlan Plan(IReadOnlyList<BackupReport> reports, int me, int primaries, int faults)
    {
        long nextCounter = 1;
        foreach (BackupReport r in reports) nextCounter = Math.Max(nextCounter, Counter(r.Primaries[me].Life) + 1);

        if (!reports.Any(r => r.Primaries[me].Loaded))
        {
            return reports.Count == faults
                ? new RecoveryPlan(PlanKind.Fresh, "", [], [], [], [], 0, 0, nextCounter)
                : Wait($"only {reports.Count} of {faults} backups reachable, and none holds this primary", nextCounter);
        }

        int[] lost = Enumerable.Range(0, primaries).Where(p => reports.Any(r => r.Complete && !r.Primaries[p].Serving)).ToArray();
        if (!lost.Contains(me)) return Wait("a backup still counts this primary's old connection as serving", nextCounter);

        var stale = new HashSet<int>();
        var steps = new List<ReconcileStep>();
        var currentLife = new long[primaries];
        var target = new long[primaries];
        foreach (int q in lost)
        {
            BackupReport[] holders = reports.Where(r => r.Primaries[q].Loaded).ToArray();
            if (holders.Length == 0) continue;
            long life = holders.Max(r => r.Primaries[q].Life);
            currentLife[q] = life;
            BackupReport[] inLife = holders.Where(r => r.Primaries[q].Life == life).ToArray();
            long top = inLife.Max(r => r.Primaries[q].Seq);
            target[q] = top;
            BackupReport source = inLife.Where(r => r.Primaries[q].Seq == top).MinBy(r => r.Primaries[q].RetainedFrom)!;
            (long basisLife, long basisSeq) = inLife.Select(r => (r.Primaries[q].BasisLife, r.Primaries[q].BasisSeq)).FirstOrDefault(b => b.BasisLife != 0);
            foreach (BackupReport r in holders)
            {
                PrimaryView v = r.Primaries[q];
                bool atBasis = v.Life != life && basisLife != 0 && v.Life == basisLife && v.Seq == basisSeq;
                if (v.Life != life && !atBasis) stale.Add(r.Backup);
                else if (v.Seq < top || atBasis)
                {
                    if (source.Primaries[q].RetainedFrom <= v.Seq + 1)
                        steps.Add(new ReconcileStep(q, source.Backup, r.Backup, v.Seq, top, life, atBasis ? basisLife : 0));
                    else stale.Add(r.Backup);
                }
            }
        }
        // A backup stale on one primary is left out of the cut, so rolling it forward is wasted; but it may still be
        // the source for another: its retained deltas of that primary are that primary's history all the same.
        // Refusing it as a source left a backup that missed only an in-flight delta stale too, and with two primaries
        // down fewer than |L| backups current and nobody to re-encode them (simulation seeds 94455, 188648).
        steps.RemoveAll(s => stale.Contains(s.Behind));
        if (steps.Count > 0) return new RecoveryPlan(PlanKind.Reconcile, "", lost, [], [], steps.ToArray(), 0, 0, nextCounter);

        int[] current = reports
            .Where(r => !stale.Contains(r.Backup) && r.Primaries[me].Loaded && r.Primaries[me].Life == currentLife[me] && r.Primaries[me].Seq == target[me])
            .Select(r => r.Backup).ToArray();
        int[] usable = reports
            .Where(r => r.Complete && !stale.Contains(r.Backup)
                        && lost.All(q => r.Primaries[q].Life == currentLife[q] && r.Primaries[q].Seq == target[q]))
            .Select(r => r.Backup).ToArray();
        if (usable.Length < lost.Length)
        {
            string why = string.Join("; ", reports.Where(r => !usable.Contains(r.Backup)).Select(r => WhyNotCurrent(r, lost, stale, currentLife, target)));
            string unheard = reports.Count < faults ? $"; {faults - reports.Count} backups did not answer" : "";
            return Wait($"{lost.Length} primaries are down ({string.Join(",", lost)}) but only {usable.Length} complete backups hold them current ({why}{unheard})", nextCounter);
        }
        return new RecoveryPlan(PlanKind.Cut, "", lost, usable[..lost.Length], current, [], currentLife[me], target[me], nextCounter);
    }

    // Names what keeps a backup out of the cut, so that an operator reading a recovery that waits sees which backup
    // must come back or be re-encoded first.
    private static string WhyNotCurrent(BackupReport r, int[] lost, HashSet<int> stale, long[] currentLife, long[] target)
    {
        if (!r.Complete) return $"backup {r.Backup} is incomplete (re-encoding)";
        foreach (int q in lost)
        {
            PrimaryView v = r.Primaries[q];
            if (!v.Loaded) return $"backup {r.Backup} does not hold primary {q}";
            if (v.Life != currentLife[q]) return $"backup {r.Backup} holds primary {q} in an older life";
            if (v.Seq != target[q]) return $"backup {r.Backup} is behind on primary {q} past what is retained";
        }
        return stale.Contains(r.Backup) ? $"backup {r.Backup} is stale on another primary" : $"backup {r.Backup} is not current";
    }

    private static RecoveryPlan Wait(string reason, long nextCounter) => new(PlanKind.Wait, reason, [], [], [], [], 0, 0, nextCounter);
}
