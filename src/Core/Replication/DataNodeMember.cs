using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>
/// A data node's replica and membership, as a pure state machine: which life it is, the view that admitted it,
/// Skeen's receiver for that life, orphan reports and verdicts, view queries from a new coordinator, and the joiner
/// and donor halves of state transfer (each push is cut again after a failure until its joiner confirms it or leaves
/// the view). The application state (the bit list) stays with the adapter, which applies
/// deliveries and snapshots for joiners when told. Inputs come from the managers' connections, addressed by the
/// manager's node id; effects leave through <see cref="IDataNodeOutput{TPayload}"/>.
/// </summary>
internal sealed class DataNodeMember<TPayload> : ISkeenReceiverOutput<TPayload>
{
    private readonly int _nodeId;
    private readonly int _group;
    private readonly Func<ulong> _newLife;
    private readonly IDataNodeOutput<TPayload> _out;
    private readonly Dictionary<int, int> _managers = [];
    private readonly List<(int Manager, ulong QueryId, int[] DeadSenders)> _parked = [];
    private readonly DeliveryLog _reports;
    private readonly long _pushRetryDelay;
    private readonly ReadLease _lease;

    /// <summary>Until when (this node's clock) this life may serve reads: a granted lease request's sending time plus the lease.</summary>
    private long _leaseUntil = long.MinValue;

    /// <summary>
    /// Senders a successor's takeover query took for dead, answered by this process, each with the successor's sender id:
    /// views they send, and views they decided that another manager relays, are refused (see <see cref="TakeoverQuery"/>).
    /// </summary>
    private readonly Dictionary<int, int> _deposed = [];

    /// <summary>This donor's state pushes not yet confirmed by their joiner: the joiner's life, and when to cut again after a failed push (<see cref="long.MaxValue"/> while in flight).</summary>
    private readonly Dictionary<int, (ulong Life, long RetryAt)> _pushes = [];
    private ClusterView? _view;
    private SkeenReceiver<TPayload>? _skeen;

    /// <summary>
    /// Per sender, the first message this life would have taken but dropped, its sender missing from the installed view
    /// (<see cref="Data"/>). Until the sender sends it again (its link synced again, which resends from there in order),
    /// its later messages are dropped too: taken once a view admits the sender, they would raise its highest sequence
    /// past the dropped ones, which its resend would then find duplicates, never proposed (seed 411139).
    /// </summary>
    private readonly Dictionary<int, long> _gaps = [];

    /// <summary>
    /// Senders whose messages this life's state may hold or reflect: taken here (pending or delivered), or named by the
    /// transfer it loaded. A view that forgets any other sender takes nothing from this replica (<see cref="ForgetsASender"/>).
    /// </summary>
    private readonly HashSet<int> _heard = [];

    /// <summary>
    /// Managers whose last view on their connection this node refused: their Skeen frames were sent under that view (a
    /// deposed coordinator's line, whose finals may lack the proposal of a replica the successor's line keeps), so they
    /// are dropped until the manager sends a view this node does not refuse — its link synced again, which resends them.
    /// </summary>
    private readonly HashSet<int> _refusedFrom = [];
    private bool _announced;

    /// <param name="newLife">Draws a life id for each new life (never 0, never repeated).</param>
    /// <param name="window">The most writes a manager has in flight: this node keeps that many delivery reports per sender to send again.</param>
    /// <param name="lease">The read lease the managers grant (<see cref="ReadLease"/>).</param>
    /// <param name="pushRetryDelay">How long a donor waits after a failed state push before cutting its state again (in the unit of the times given to the inputs).</param>
    public DataNodeMember(int nodeId, int group, Func<ulong> newLife, IDataNodeOutput<TPayload> output, int window, ReadLease lease, long pushRetryDelay = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lease.Duration, 1);
        _lease = lease;
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(pushRetryDelay);
        _pushRetryDelay = pushRetryDelay;
        _reports = new DeliveryLog(window);
        _nodeId = nodeId;
        _group = group;
        _newLife = newLife;
        _out = output;
        Life = newLife();
    }

    public ulong Life { get; private set; }

    public ClusterView? View => _view;

    /// <summary>Skeen's receiver of the admitted life, or null while not admitted.</summary>
    public SkeenReceiver<TPayload>? Skeen => _skeen;

    /// <summary>The view that admitted this life (its incarnation), or −1.</summary>
    public long Incarnation => _skeen?.Incarnation ?? -1;

    /// <summary>The replica this life loads its state from, or <see cref="ViewMember.NoDonor"/>.</summary>
    public int Donor { get; private set; } = ViewMember.NoDonor;

    /// <summary>Holds the group's state: a founding member from the start, a joiner once its transfer is installed.</summary>
    public bool HasState { get; private set; }

    /// <summary>Caught up in a view: delivers, serves reads, may donate.</summary>
    public bool IsServing => _skeen is { IsCaughtUp: true, IsStopped: false };

    /// <summary>
    /// Whether a read may be served at <paramref name="now"/> (this node's clock): caught up, and within a lease a
    /// coordinator granted to this life. Without the lease, a replica excluded while paused would serve the reads
    /// still buffered for it (or relayed by a manager that has not installed the exclusion) before it learns it.
    /// </summary>
    public bool MayServeRead(long now) => IsServing && now < _leaseUntil;

    public NodePhase Phase => _skeen is null ? NodePhase.Fresh : _skeen.IsCaughtUp ? NodePhase.Serving : NodePhase.Joining;

    /// <summary>What this node tells managers about itself (position and length come from the application).</summary>
    public NodeStatus Status(long position, long length) => new(Life, Phase, Incarnation, _view?.Epoch ?? -1, position, length);

    /// <summary>The sender id the manager on <paramref name="manager"/>'s connection announced (−1: none yet), or null when not connected.</summary>
    public int? SenderOf(int manager) => _managers.TryGetValue(manager, out int s) ? s : null;

    // ---- manager connections ----

    public void ManagerConnected(int manager)
    {
        _managers[manager] = -1;
        _refusedFrom.Remove(manager);
        _out.SendStatus(manager);
    }

    public void ManagerClosed(int manager)
    {
        if (!_managers.Remove(manager)) return;
        _refusedFrom.Remove(manager);
        for (int i = _parked.Count - 1; i >= 0; i--)
        {
            (int m, ulong id, int[] dead) = _parked[i];
            if (!_managers.ContainsKey(m)) _parked.RemoveAt(i);
            else if (!AnyConnected(dead))
            {
                _parked.RemoveAt(i);
                AnswerQuery(m, id, dead);
            }
        }
    }

    /// <summary>
    /// The manager on <paramref name="manager"/>'s connection multicasts as <paramref name="sender"/>. It gets this
    /// life's last delivery reports of its writes again, and when it is the coordinator of this node's view, the
    /// orphan reports: a report sent while it was not connected, or lost with a dropped connection, would otherwise
    /// leave its write or its recovery waiting forever.
    /// </summary>
    public void ManagerHello(int manager, int sender)
    {
        if (!_managers.ContainsKey(manager)) return;
        _managers[manager] = sender;
        _reports.Replay(sender, report => _out.SendDelivered(manager, report));
        if (_view is not null && sender == _view.Coordinator) ReportOrphans(_view);
        ConfirmInstalled(manager);
        if (IsServing && !_deposed.ContainsKey(sender)) _out.RequestLease(manager, Life);
    }

    /// <summary>Asks every manager that announced a sender for a read lease (the adapter calls this every <see cref="ReadLease.RenewEvery"/>).</summary>
    public void RenewLease()
    {
        if (!IsServing) return;
        foreach ((int manager, int sender) in _managers)
            if (sender >= 0 && !_deposed.ContainsKey(sender)) _out.RequestLease(manager, Life);
    }

    /// <summary>
    /// A manager granted the lease request this node sent at <paramref name="sentAt"/> (its own clock) for
    /// <paramref name="life"/>. A manager grants only while it coordinates a view admitting that life; a grant from a
    /// sender a successor took for dead is ignored (this node promised not to follow it).
    /// </summary>
    public void LeaseGranted(int manager, ulong life, long sentAt)
    {
        if (life != Life || !IsServing || !_managers.TryGetValue(manager, out int sender) || sender < 0 || _deposed.ContainsKey(sender)) return;
        _leaseUntil = Math.Max(_leaseUntil, sentAt + _lease.Duration);
    }

    /// <summary>A view from a connected manager.</summary>
    public void ViewReceived(int manager, ClusterView view)
    {
        if (!_managers.TryGetValue(manager, out int sender)) return;
        if (_deposed.ContainsKey(sender) || (_deposed.TryGetValue(view.Coordinator, out int successor) && successor != sender))
        {
            _out.Log($"view {view.Epoch} of coordinator {view.Coordinator} from sender {sender} refused: a successor's takeover took that coordinator for dead", true);
            _out.SendViewReport(manager, TakeoverQuery.Refused, view);
            _refusedFrom.Add(manager);
            return;
        }
        _refusedFrom.Remove(manager);
        if (!view.Supersedes(_view)) return;
        long installed = _view?.Epoch ?? -1;
        _view = view;
        if (_skeen is null)
        {
            if (view.ReceiverLife(_nodeId) == Life) Admit(view);
            return;
        }
        // A deposed coordinator's view is replaced, not answered by starting over: this replica may hold the
        // group's last copy, and its receiver keeps it whenever the successor's view allows (SkeenReceiver.ReplaceView).
        // A successor's view of a lower epoch replaces a line the deposed coordinator ran ahead on: nothing of it is kept.
        ViewOutcome outcome = view.ReceiverLife(_nodeId) != Life ? ViewOutcome.Excluded
            : ForgetsASender(view) ? ViewOutcome.Superseded
            : view.Epoch == installed ? _skeen.ReplaceView(view.Skeen)
            : view.Epoch < installed ? ViewOutcome.Superseded
            : _skeen.InstallView(view.Skeen);
        if (outcome == ViewOutcome.Installed)
        {
            _reports.Retain(view.Skeen.ContainsSender);
            ReportOrphans(view);
            foreach (int m in _managers.Keys) ConfirmInstalled(m);
        }
        else if (outcome is ViewOutcome.Excluded or ViewOutcome.JoinAborted or ViewOutcome.Superseded)
            StartOver($"{outcome} by view {view.Epoch} of coordinator {view.Coordinator}");
        AfterEvent();
    }

    /// <summary>
    /// Skeen's messages are taken only from a sender of the installed view. A manager sends a data node the view that
    /// admits it before its first multicast on that connection, so a sender missing from the installed view is one whose
    /// view this node refused or found older: a sender a deposed coordinator admitted. Its messages, held pending, would
    /// wait for ever on a successor that never lists it (seeds 406693, 416859); its view's refusal makes it send them
    /// again with the next view it installs (the adapter syncs the link again), and the successor's view, if it admits
    /// that sender, is installed first. Nor are they taken from a manager whose last view this node refused, though it
    /// is a sender of the installed view: they were sent under the refused view, and a final computed without a replica
    /// that view dropped would be delivered here and never at that replica (the replicas would diverge). A dropped new
    /// message opens a gap as above, so the resend that follows the manager's next view restores the order.
    /// </summary>
    public ReceiveOutcome Data(in DataMessage<TPayload> message)
    {
        if (_skeen is null) return ReceiveOutcome.Stopped;
        int sender = message.Id.Sender;
        long seq = message.Id.Seq;
        if (!FromViewSender(sender) || FromRefusedManager(sender))
        {
            if (_skeen.IsNew(message) && (!_gaps.TryGetValue(sender, out long first) || seq < first)) _gaps[sender] = seq;
            return ReceiveOutcome.StaleSender;
        }
        if (_gaps.TryGetValue(sender, out long gap))
        {
            if (seq > gap) return ReceiveOutcome.StaleSender;
            if (seq == gap) _gaps.Remove(sender);
        }
        ReceiveOutcome outcome = _skeen.OnData(message);
        if (outcome == ReceiveOutcome.Accepted) _heard.Add(sender);
        AfterEvent();
        return outcome;
    }

    public ReceiveOutcome Final(in FinalMessage message)
    {
        if (_skeen is null) return ReceiveOutcome.Stopped;
        if (!FromViewSender(message.Id.Sender) || FromRefusedManager(message.Id.Sender)
            || (_gaps.TryGetValue(message.Id.Sender, out long gap) && message.Id.Seq >= gap))
            return ReceiveOutcome.StaleSender;
        ReceiveOutcome outcome = _skeen.OnFinal(message);
        AfterEvent();
        return outcome;
    }

    public ReceiveOutcome Marker(in EpochMarker marker)
    {
        if (_skeen is null) return ReceiveOutcome.Stopped;
        if (!FromViewSender(marker.Sender) || FromRefusedManager(marker.Sender) || _gaps.ContainsKey(marker.Sender)) return ReceiveOutcome.StaleSender;
        ReceiveOutcome outcome = _skeen.OnMarker(marker);
        AfterEvent();
        return outcome;
    }

    /// <summary>Orphan verdicts; throws <see cref="ArgumentException"/> when they contradict this replica (nothing changes then).</summary>
    public void Verdicts(int manager, RecoveryDecision decision)
    {
        if (!_managers.ContainsKey(manager) || _skeen?.View is not { } view || view.ContainsSender(decision.DeadSender)) return;
        _skeen.ApplyRecovery(decision);
        AfterEvent();
    }

    /// <summary>A new coordinator asks for the newest view: answered once no connection from those senders is left.</summary>
    public void Query(int manager, ulong queryId, int[] deadSenders)
    {
        if (!_managers.ContainsKey(manager)) return;
        if (AnyConnected(deadSenders)) _parked.Add((manager, queryId, deadSenders));
        else AnswerQuery(manager, queryId, deadSenders);
    }

    /// <summary>
    /// The answer is a promise: the successor continues from the view reported, so a view its dead senders decide from
    /// now on must not be installed here (it would conflict with the successor's view of the same epoch).
    /// </summary>
    private void AnswerQuery(int manager, ulong queryId, int[] deadSenders)
    {
        foreach (int dead in deadSenders) _deposed[dead] = _managers[manager];
        _out.SendViewReport(manager, queryId, _view);
    }

    /// <summary>Whether a state transfer for (<paramref name="joinerLife"/>, <paramref name="transfer"/>) is this life's to load now.</summary>
    public bool WantsTransfer(ulong joinerLife, SkeenTransfer transfer) =>
        joinerLife == Life && _skeen is not null && !HasState && transfer.JoinEpoch == _skeen.Incarnation && transfer.Donor == Donor;

    /// <summary>Skeen's half of a state transfer, once the adapter loaded the application half.</summary>
    public void InstallTransfer(SkeenTransfer transfer)
    {
        HasState = true;
        foreach (SenderWatermark w in transfer.Watermarks)
            if (w.HighestSeq > 0) _heard.Add(w.Sender);
        foreach (DeliveredFinal d in transfer.Delivered) _heard.Add(d.Id.Sender);
        foreach (MessageId id in transfer.Pending) _heard.Add(id.Sender);
        _skeen!.InstallTransfer(transfer);
        AfterEvent();
    }

    /// <summary>State pushes this donor has sent or will send again, not yet confirmed by their joiners.</summary>
    public int UnconfirmedPushes => _pushes.Count;

    /// <summary>The joiner (<paramref name="joiner"/>, <paramref name="joinerLife"/>) confirmed it received this donor's push: nothing more to send it.</summary>
    public void PushConfirmed(int joiner, ulong joinerLife)
    {
        if (_pushes.TryGetValue(joiner, out var push) && push.Life == joinerLife) _pushes.Remove(joiner);
    }

    /// <summary>
    /// The push to (<paramref name="joiner"/>, <paramref name="joinerLife"/>) failed at <paramref name="now"/> (no
    /// connection, a dropped one, no confirmation): the state is cut again after the retry delay, if the joiner still waits
    /// for it then — a push is never simply dropped, since the joiner would wait for it forever.
    /// </summary>
    public void PushFailed(int joiner, ulong joinerLife, long now)
    {
        if (!_pushes.TryGetValue(joiner, out var push) || push.Life != joinerLife) return;
        long at = now + _pushRetryDelay;
        _pushes[joiner] = (joinerLife, at);
        _out.Wake(at);
    }

    /// <summary>The time asked for with <see cref="IDataNodeOutput{TPayload}.Wake"/> (or a later one) has come: failed pushes whose delay is over are cut again.</summary>
    public void Tick(long now)
    {
        foreach ((int joiner, (ulong life, long at)) in _pushes.ToArray())
        {
            if (at > now) continue;
            _pushes.Remove(joiner);
            if (_skeen?.View is not { } view || _view is null || _view.ReceiverLife(joiner) != life || !view.TryGetReceiver(joiner, out ViewMember j)) continue;
            _skeen.RetryTransfer(joiner, j.Incarnation);
        }
        AfterEvent();
    }

    // ---- internals ----

    private void Admit(ClusterView view)
    {
        view.Skeen.TryGetReceiver(_nodeId, out ViewMember me);
        if (me.Group != _group)
        {
            _out.Log($"view {view.Epoch} admits this node to group {me.Group}, but the configuration puts it in group {_group}; ignored", true);
            return;
        }
        Donor = me.Donor;
        HasState = !me.NeedsTransfer;
        _announced = false;
        _skeen = new SkeenReceiver<TPayload>(_nodeId, me.Incarnation, this);
        _gaps.Clear();
        _heard.Clear();
        _out.Admitted(me.Incarnation, me.Donor);
        if (_skeen.InstallView(view.Skeen) == ViewOutcome.JoinAborted)
        {
            StartOver($"donor {me.Donor} left before view {view.Epoch} arrived");
            return;
        }
        _out.Log(me.NeedsTransfer
            ? $"admitted to group {_group} in view {view.Epoch}; waiting for state from node {me.Donor}"
            : $"founding member of group {_group} in view {view.Epoch}", false);
        ReportOrphans(view);
        foreach (int m in _managers.Keys) ConfirmInstalled(m);
        AfterEvent();
    }

    /// <summary>
    /// Tells a manager which view this life installed: a write acknowledged without a replica its view dropped is safe only
    /// once the group's other replicas hold that view, since a successor's takeover then continues from it (they answer its
    /// query with it) or this node refused it (it promised the successor first), and the replica dropped serves no read in
    /// any later view. A sender a successor deposed gets none: this node follows the successor.
    /// </summary>
    private void ConfirmInstalled(int manager)
    {
        if (_skeen is null || _view is null || _view.ReceiverLife(_nodeId) != Life || _deposed.ContainsKey(_managers[manager])) return;
        _out.SendViewReport(manager, TakeoverQuery.Installed, _view);
    }

    private bool FromViewSender(int sender) => _skeen?.View is not { } view || view.ContainsSender(sender);

    private bool FromRefusedManager(int sender) => _refusedFrom.Count > 0 && ManagerOfSender(sender) is int m && _refusedFrom.Contains(m);

    /// <summary>
    /// The installed view has a sender that <paramref name="view"/> neither lists nor knows as dead, and this life took
    /// messages of it: the installed view is of another line (a deposed coordinator's, or a rival's of the same takeover),
    /// which admitted that sender after the lines split. What this replica holds of it no view of
    /// <paramref name="view"/>'s line will settle (no orphan recovery runs for a sender it never knew), and what it
    /// delivered of it the other replicas of that line never will, so the replica starts over. One that took nothing of
    /// that sender keeps its state: it may be the group's last copy, and another line's sender it never heard from left
    /// nothing in it to settle or to diverge on (seed 137141: two restarted managers both took over; the last replica,
    /// holding one rival's view 2, started over on the other's view 3 while both other replicas joined from it).
    /// </summary>
    private bool ForgetsASender(ClusterView view)
    {
        if (_skeen?.View is not { } installed) return false;
        foreach (int s in installed.Senders)
            if (_heard.Contains(s) && !view.Skeen.ContainsSender(s) && !view.DeadSenders.Contains(s)) return true;
        return false;
    }

    private void ReportOrphans(ClusterView view)
    {
        if (view.DeadSenders.IsEmpty || _skeen is null || ManagerOfSender(view.Coordinator) is not int coordinator) return;
        foreach (int dead in view.DeadSenders) _out.SendOrphanReport(coordinator, _skeen.ReportOrphans(dead));
    }

    private void AfterEvent()
    {
        if (_skeen is not { } s) return;
        if (s.IsStopped) StartOver($"{s.StopReason}");
        else if (!_announced && s.IsCaughtUp)
        {
            _announced = true;
            _out.Serving();
            BroadcastStatus();
            RenewLease();
        }
    }

    /// <summary>Starts over as a new life: the managers learn it at once and the coordinator admits it again.</summary>
    private void StartOver(string reason)
    {
        _out.Log($"starting over as a new life ({reason})", true);
        _skeen = null;
        _gaps.Clear();
        _heard.Clear();
        _leaseUntil = long.MinValue;
        _reports.Clear();
        _pushes.Clear();
        Donor = ViewMember.NoDonor;
        HasState = false;
        Life = _newLife();
        _out.StartedOver(reason);
        BroadcastStatus();
    }

    private void BroadcastStatus()
    {
        foreach (int m in _managers.Keys) _out.SendStatus(m);
    }

    private int? ManagerOfSender(int sender)
    {
        foreach ((int manager, int s) in _managers)
            if (s == sender) return manager;
        return null;
    }

    private bool AnyConnected(int[] senders)
    {
        foreach (int s in _managers.Values)
            if (s >= 0 && senders.Contains(s)) return true;
        return false;
    }

    void ISkeenReceiverOutput<TPayload>.Propose(int sender, in ProposalMessage proposal)
    {
        if (ManagerOfSender(sender) is int m) _out.SendProposal(m, proposal);
    }

    void ISkeenReceiverOutput<TPayload>.Deliver(MessageId id, long timestamp, TPayload payload) => Report(_out.Deliver(id, timestamp, payload));

    void ISkeenReceiverOutput<TPayload>.Discard(MessageId id, TPayload payload, DiscardReason reason)
    {
        _out.Discard(id, payload, reason);
        // The donor delivered it before its snapshot and reported the value; this replica holds it all the same.
        if (reason == DiscardReason.InTransferredState) Report(new DeliveryReport(id, DeliveryStatus.InSnapshot, 0, 0));
    }

    private void Report(in DeliveryReport report)
    {
        _reports.Add(report);
        if (ManagerOfSender(report.Id.Sender) is int m) _out.SendDelivered(m, report);
    }

    void ISkeenReceiverOutput<TPayload>.TransferReady(int joiner, SkeenTransfer transfer)
    {
        ulong life = _view!.ReceiverLife(joiner);
        _pushes[joiner] = (life, long.MaxValue);
        _out.TransferReady(joiner, life, transfer);
    }
}
