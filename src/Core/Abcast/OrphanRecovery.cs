using System.Collections.Immutable;

namespace BitFusion.Core.Abcast;

/// <summary>
/// Settles the messages a dead sender left behind, so no replica's queue stays pinned behind a tentative orphan
/// and every replica settles each orphan the same way. Whoever coordinates (a surviving manager, or every replica
/// for itself) collects one <see cref="OrphanReport"/> from every data node of <see cref="View"/>, then
/// <see cref="Decide"/> gives verdicts to apply at all of them. For each orphan m:
/// <list type="number">
/// <item>some replica holds m final or delivered → finalise with that timestamp (the sender's own decision);</item>
/// <item>else every member of every group of m that will need m holds it tentatively → finalise with the maximum
/// of their proposals;</item>
/// <item>else discard m everywhere: no live replica delivered it, and some group could never deliver it.</item>
/// </list>
/// Every member needs m except a joiner admitted after m was sent whose snapshot has not arrived: that snapshot
/// will hold m exactly if its donor, a member of the same group, delivers m first. A joiner that already has its
/// state and was admitted after m was sent cannot hold m, so rule 3 applies — which keeps m atomic across groups
/// when all a group has left is state transferred from a replica that never saw m.
/// The decision is a pure function of the reports, and applying it only moves a replica's report from rule 2 or 3
/// to rule 1 with the same timestamp, or to "absent", so a coordinator that dies and is replaced, or two
/// coordinators racing, reach compatible verdicts.
/// </summary>
internal sealed class OrphanRecovery
{
    private readonly Dictionary<int, OrphanReport> _reports = new();

    public OrphanRecovery(int deadSender, SkeenView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.ContainsSender(deadSender))
            throw new ArgumentException($"Sender {deadSender} is still in view {view.Epoch}; recover it only in a view that excludes it.", nameof(deadSender));
        DeadSender = deadSender;
        View = view;
    }

    public int DeadSender { get; }

    public SkeenView View { get; }

    public bool IsComplete => _reports.Count == View.Receivers.Length;

    /// <summary>
    /// Records a replica's report. Returns false, changing nothing, for a report this recovery cannot use: from a
    /// node not in <see cref="View"/>, taken in an older view, or a second one from the same node.
    /// </summary>
    public bool Add(OrphanReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.DeadSender != DeadSender)
            throw new ArgumentException($"The report is about sender {report.DeadSender}, not {DeadSender}.", nameof(report));
        if (report.Epoch < View.Epoch || !View.TryGetReceiver(report.Node, out _) || _reports.ContainsKey(report.Node))
            return false;
        _reports.Add(report.Node, report);
        return true;
    }

    public RecoveryDecision Decide()
    {
        if (!IsComplete)
            throw new InvalidOperationException(
                $"Recovery of sender {DeadSender} has {_reports.Count} of {View.Receivers.Length} reports; every live replica must report.");

        var orphans = new SortedDictionary<long, Orphan>();
        foreach (OrphanReport report in _reports.Values)
            foreach (OrphanEntry e in report.Entries)
            {
                if (!orphans.TryGetValue(e.Seq, out Orphan? o)) orphans.Add(e.Seq, o = new Orphan(e.Epoch, e.Groups));
                o.Add(report.Node, e, DeadSender);
            }

        var verdicts = ImmutableArray.CreateBuilder<OrphanVerdict>(orphans.Count);
        foreach ((long seq, Orphan o) in orphans)
        {
            if (o.FinalTimestamp is long final) verdicts.Add(new OrphanVerdict(seq, true, final));
            else if (HeldByEveryMemberThatWillNeedIt(o)) verdicts.Add(new OrphanVerdict(seq, true, o.MaxProposal));
            else verdicts.Add(new OrphanVerdict(seq, false, 0));
        }
        return new RecoveryDecision(DeadSender, View.Epoch, verdicts.MoveToImmutable());
    }

    private bool HeldByEveryMemberThatWillNeedIt(Orphan o)
    {
        bool any = false;
        foreach (int g in o.Groups)
            foreach (ViewMember m in View.MembersOf(g))
            {
                if (!_reports[m.Node].HasState && m.Incarnation > o.Epoch) continue;
                if (!o.TentativeHolders.Contains(m.Node)) return false;
                any = true;
            }
        return any;
    }

    private sealed class Orphan(long epoch, GroupSet groups)
    {
        public long Epoch { get; } = epoch;
        public GroupSet Groups { get; } = groups;
        public long? FinalTimestamp { get; private set; }
        public long MaxProposal { get; private set; }
        public HashSet<int> TentativeHolders { get; } = new();

        public void Add(int node, OrphanEntry e, int sender)
        {
            if (e.State == OrphanState.Tentative)
            {
                TentativeHolders.Add(node);
                MaxProposal = Math.Max(MaxProposal, e.Timestamp);
                return;
            }
            if (FinalTimestamp is long known && known != e.Timestamp)
                throw new InvalidOperationException(
                    $"Replicas report message {new MessageId(sender, e.Seq)} final at both {known} and {e.Timestamp}; a sender decides one final timestamp.");
            FinalTimestamp = e.Timestamp;
        }
    }
}
