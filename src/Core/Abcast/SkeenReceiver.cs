using System.Collections.Immutable;

namespace BitFusion.Core.Abcast;

/// <summary>
/// The data-node side of Skeen's atomic multicast, one per replica process: a pure state machine that turns
/// incoming data, finals, markers, views, recovery verdicts and state transfers into effects on an
/// <see cref="ISkeenReceiverOutput{TPayload}"/> — proposals to send back and messages to apply, in one total
/// order shared by every replica of every group. Not thread-safe: feed it from one loop.
/// </summary>
internal sealed class SkeenReceiver<TPayload>
{
    private readonly ISkeenReceiverOutput<TPayload> _output;
    private readonly DeliveryRule _rule;
    private readonly PendingQueue<TPayload> _pending = new();
    private readonly Dictionary<int, SenderTrack> _senders = new();
    private readonly List<(int Joiner, long JoinEpoch)> _transfers = new();
    private SkeenView? _view;
    private int _group;
    private int _donor = ViewMember.NoDonor;
    private long _donorIncarnation;
    private long _clock;
    private bool _installed;
    private bool _caughtUp;
    private OrderKey _lastDelivered;
    private ViewOutcome? _stopped;

    /// <summary>
    /// A replica process for incarnation <paramref name="incarnation"/> of data node <paramref name="node"/>.
    /// Its first view must admit it: a founding member (no donor) starts empty and caught up; a joiner proposes
    /// at once but delivers nothing until <see cref="InstallTransfer"/>.
    /// </summary>
    public SkeenReceiver(int node, long incarnation, ISkeenReceiverOutput<TPayload> output)
        : this(node, incarnation, output, DeliveryRule.Skeen)
    {
    }

    internal SkeenReceiver(int node, long incarnation, ISkeenReceiverOutput<TPayload> output, DeliveryRule rule)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfNegative(incarnation);
        ArgumentNullException.ThrowIfNull(output);
        Node = node;
        Incarnation = incarnation;
        _output = output;
        _rule = rule;
    }

    public int Node { get; }

    public long Incarnation { get; }

    /// <summary>The Lamport clock: the last proposal made, or above the last final timestamp seen.</summary>
    public long Clock => _clock;

    public SkeenView? View => _view;

    /// <summary>
    /// False for a joiner until its state transfer is installed and every message it kept from before is known to
    /// order after the transferred state. Only a caught-up replica delivers past that state or serves as a donor.
    /// </summary>
    public bool IsCaughtUp => _caughtUp;

    public bool IsStopped => _stopped is not null;

    /// <summary>Why this process stopped: <see cref="ViewOutcome.Excluded"/>, <see cref="ViewOutcome.JoinAborted"/> or <see cref="ViewOutcome.Superseded"/>.</summary>
    public ViewOutcome? StopReason => _stopped;

    /// <summary>Messages held but not delivered, tentative or final.</summary>
    public int PendingCount => _pending.Count;

    public ViewOutcome InstallView(SkeenView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (_stopped is ViewOutcome stopped) return stopped;
        if (_view is not null && view.Epoch <= _view.Epoch) return ViewOutcome.Stale;
        if (!view.TryGetReceiver(Node, out ViewMember me) || me.Incarnation != Incarnation)
        {
            if (_view is null)
                throw new ArgumentException($"Node {Node} incarnation {Incarnation} is not in view {view.Epoch}; a receiver starts in a view that admits it.", nameof(view));
            return Stop(ViewOutcome.Excluded);
        }

        SkeenView? previous = _view;
        if (previous is null)
        {
            if (!me.NeedsTransfer) _installed = _caughtUp = true;
            else if (!view.TryGetReceiver(me.Donor, out ViewMember donor) || donor.Incarnation >= Incarnation)
                return Stop(ViewOutcome.JoinAborted);
            else (_donor, _donorIncarnation) = (donor.Node, donor.Incarnation);
        }
        else if (!_caughtUp && !view.Contains(_donor, _donorIncarnation))
        {
            return Stop(ViewOutcome.JoinAborted);
        }

        Adopt(view, previous, me.Group);
        return ViewOutcome.Installed;
    }

    /// <summary>
    /// Replaces the installed view with another of the same epoch, decided by the coordinator's successor after it
    /// took the coordinator that decided the installed one for dead. The state this replica built under the deposed
    /// view stays valid when the successor's view keeps nothing the deposed one had removed: every sender it lists was
    /// in the deposed view too, and every replica with the same incarnation and donor (so this replica refused no
    /// message of a live sender, applied no verdict against one, delivered no final computed without the proposal of a
    /// replica still in the view, and waits for, or streams, the same state transfers).
    /// Otherwise this replica must stop (<see cref="ViewOutcome.Superseded"/>).
    /// </summary>
    public ViewOutcome ReplaceView(SkeenView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (_stopped is ViewOutcome stopped) return stopped;
        SkeenView installed = _view ?? throw new InvalidOperationException($"Node {Node} has no view to replace; install one first.");
        if (view.Epoch != installed.Epoch)
            throw new ArgumentException($"View {view.Epoch} cannot replace view {installed.Epoch}; only a view of the same epoch does.", nameof(view));
        if (!view.TryGetReceiver(Node, out ViewMember me) || me.Incarnation != Incarnation) return Stop(ViewOutcome.Excluded);
        foreach (int s in view.Senders)
            if (!installed.ContainsSender(s)) return Stop(ViewOutcome.Superseded);
        foreach (ViewMember m in view.Receivers)
            if (!installed.TryGetReceiver(m.Node, out ViewMember was) || was != m) return Stop(ViewOutcome.Superseded);
        if (!_caughtUp && !view.Contains(_donor, _donorIncarnation)) return Stop(ViewOutcome.JoinAborted);
        Adopt(view, installed, me.Group);
        return ViewOutcome.Installed;
    }

    private void Adopt(SkeenView view, SkeenView? previous, int group)
    {
        _view = view;
        _group = group;
        foreach (ViewMember j in view.Receivers)
            if (j.Donor == Node && j.Incarnation > Incarnation && (previous is null || !previous.Contains(j.Node, j.Incarnation)))
                _transfers.Add((j.Node, j.Incarnation));
        _transfers.RemoveAll(t => !view.Contains(t.Joiner, t.JoinEpoch));
        CheckTransfers();
    }

    /// <summary>Whether <see cref="OnData"/> would take <paramref name="message"/> as new: addressed here and past its sender's highest sequence.</summary>
    public bool IsNew(in DataMessage<TPayload> message) =>
        _view is not null && message.Groups.Contains(_group) && message.Epoch >= Incarnation
        && (!_senders.TryGetValue(message.Id.Sender, out SenderTrack? track) || message.Id.Seq > track.HighestSeq);

    /// <summary>A tentative message: clock = max(clock, ts) + 1, propose the clock, hold the message.</summary>
    public ReceiveOutcome OnData(in DataMessage<TPayload> message)
    {
        ReceiveOutcome admission = Admit(message.Id.Sender, message.Epoch);
        if (admission != ReceiveOutcome.Accepted) return admission;
        if (!message.Groups.Contains(_group) || message.Epoch < Incarnation) return ReceiveOutcome.NotAddressed;
        SenderTrack track = Track(message.Id.Sender);
        track.HighestEpoch = Math.Max(track.HighestEpoch, message.Epoch);
        track.Trim(message.StableSeq);
        if (message.Id.Seq <= track.HighestSeq)
        {
            // The sender resends data only while it waits for our proposal, so repeat the one we made.
            if (_pending.TryFind(message.Id, out int slot) && !_pending[slot].IsFinal)
                _output.Propose(message.Id.Sender, new ProposalMessage(message.Id, _pending[slot].Timestamp));
            return ReceiveOutcome.Duplicate;
        }

        track.HighestSeq = message.Id.Seq;
        _clock = Math.Max(_clock, message.Timestamp) + 1;
        _pending.Add(message.Id, _clock, message.Epoch, message.Groups, message.Payload);
        _output.Propose(message.Id.Sender, new ProposalMessage(message.Id, _clock));
        return ReceiveOutcome.Accepted;
    }

    /// <summary>A final timestamp: clock = max(clock, final) + 1, re-position the message, deliver from the head.</summary>
    public ReceiveOutcome OnFinal(in FinalMessage message)
    {
        ReceiveOutcome admission = Admit(message.Id.Sender, message.Epoch);
        if (admission != ReceiveOutcome.Accepted) return admission;
        if (message.Epoch < Incarnation) return ReceiveOutcome.NotAddressed;
        if (!_senders.TryGetValue(message.Id.Sender, out SenderTrack? track) || message.Id.Seq > track.HighestSeq)
            return ReceiveOutcome.Invalid;
        if (!_pending.TryFind(message.Id, out int slot))
        {
            track.Trim(message.StableSeq);
            return ReceiveOutcome.Duplicate;
        }
        ref readonly PendingEntry<TPayload> entry = ref _pending[slot];
        if (entry.IsFinal) return entry.Timestamp == message.Timestamp ? ReceiveOutcome.Duplicate : ReceiveOutcome.Invalid;
        if (message.Timestamp < entry.Timestamp) return ReceiveOutcome.Invalid;

        track.Trim(message.StableSeq);
        MakeFinal(slot, message.Timestamp);
        DeliverReady();
        return _stopped is null ? ReceiveOutcome.Accepted : ReceiveOutcome.Stopped;
    }

    public ReceiveOutcome OnMarker(in EpochMarker marker)
    {
        ReceiveOutcome admission = Admit(marker.Sender, marker.Epoch);
        if (admission != ReceiveOutcome.Accepted) return admission;
        SenderTrack track = Track(marker.Sender);
        track.HighestEpoch = Math.Max(track.HighestEpoch, marker.Epoch);
        CheckTransfers();
        return ReceiveOutcome.Accepted;
    }

    /// <summary>What this replica holds of <paramref name="deadSender"/>'s messages, for <see cref="OrphanRecovery"/>.</summary>
    public OrphanReport ReportOrphans(int deadSender)
    {
        SkeenView view = RequireRunning();
        if (view.ContainsSender(deadSender))
            throw new InvalidOperationException($"Sender {deadSender} is still in view {view.Epoch}; report orphans only after installing a view that excludes it.");
        var entries = new SortedDictionary<long, OrphanEntry>();
        if (_senders.TryGetValue(deadSender, out SenderTrack? track))
            foreach (DeliveredFinal d in track.Delivered)
                entries[d.Id.Seq] = new OrphanEntry(d.Id.Seq, d.Epoch, d.Groups, OrphanState.Delivered, d.Timestamp);
        for (int i = 0; i < _pending.Count; i++)
        {
            ref readonly PendingEntry<TPayload> e = ref _pending[_pending.SlotAt(i)];
            if (e.Id.Sender == deadSender)
                entries[e.Id.Seq] = new OrphanEntry(e.Id.Seq, e.Epoch, e.Groups, e.IsFinal ? OrphanState.Final : OrphanState.Tentative, e.Timestamp);
        }
        return new OrphanReport(Node, view.Epoch, deadSender, _installed, [.. entries.Values]);
    }

    /// <summary>
    /// Applies recovery's verdicts on a dead sender's messages, then delivers whatever they unblocked. A verdict
    /// that contradicts what this replica holds is refused whole. May stop a joiner (see <see cref="StopReason"/>).
    /// </summary>
    public void ApplyRecovery(RecoveryDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        SkeenView view = RequireRunning();
        if (view.ContainsSender(decision.DeadSender))
            throw new InvalidOperationException($"Sender {decision.DeadSender} is still in view {view.Epoch}; install the view that excludes it first.");
        foreach (OrphanVerdict v in decision.Verdicts)
        {
            var id = new MessageId(decision.DeadSender, v.Seq);
            if (!_pending.TryFind(id, out int slot)) continue;
            ref readonly PendingEntry<TPayload> e = ref _pending[slot];
            bool contradicts = v.Finalize ? (e.IsFinal ? v.Timestamp != e.Timestamp : v.Timestamp < e.Timestamp) : e.IsFinal;
            if (contradicts)
                throw new ArgumentException(
                    $"The verdict on {id} ({(v.Finalize ? $"final {v.Timestamp}" : "discard")}) contradicts this replica's {(e.IsFinal ? "final" : "tentative")} timestamp {e.Timestamp}.",
                    nameof(decision));
        }
        foreach (OrphanVerdict v in decision.Verdicts)
        {
            if (!_pending.TryFind(new MessageId(decision.DeadSender, v.Seq), out int slot)) continue;
            if (!v.Finalize)
            {
                PendingEntry<TPayload> e = _pending.Remove(slot);
                _output.Discard(e.Id, e.Payload, DiscardReason.OrphanDropped);
            }
            else if (!_pending[slot].IsFinal)
            {
                MakeFinal(slot, v.Timestamp);
            }
        }
        DeliverReady();
    }

    /// <summary>
    /// Installs a donor's transfer in a joining replica, after the application loaded the snapshot that came with
    /// it: adopts the donor's clock, drops the pending messages the snapshot already reflects, then delivers.
    /// May stop the joiner (see <see cref="StopReason"/>).
    /// </summary>
    public void InstallTransfer(SkeenTransfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        RequireRunning();
        if (_installed) throw new InvalidOperationException($"Node {Node} already holds state; a transfer is only for a joining replica.");
        if (transfer.JoinEpoch != Incarnation || transfer.Donor != _donor)
            throw new ArgumentException(
                $"The transfer from node {transfer.Donor} is for the replica admitted in view {transfer.JoinEpoch}; this is incarnation {Incarnation} with donor {_donor}.",
                nameof(transfer));

        var watermarks = new Dictionary<int, long>(transfer.Watermarks.Length);
        foreach (SenderWatermark w in transfer.Watermarks) watermarks[w.Sender] = w.HighestSeq;
        var donorPending = new HashSet<MessageId>(transfer.Pending);
        var reflected = new List<int>();
        for (int i = 0; i < _pending.Count; i++)
        {
            int slot = _pending.SlotAt(i);
            MessageId id = _pending[slot].Id;
            if (watermarks.TryGetValue(id.Sender, out long high) && id.Seq <= high && !donorPending.Contains(id)) reflected.Add(slot);
        }

        _clock = Math.Max(_clock, transfer.Clock);
        foreach (DeliveredFinal d in transfer.Delivered) Track(d.Id.Sender).Delivered.Enqueue(d);
        foreach (int slot in reflected)
        {
            PendingEntry<TPayload> e = _pending.Remove(slot);
            if (e.IsFinal) Track(e.Id.Sender).Delivered.Enqueue(new DeliveredFinal(e.Id, e.Timestamp, e.Epoch, e.Groups));
            _output.Discard(e.Id, e.Payload, DiscardReason.InTransferredState);
        }
        _lastDelivered = transfer.LastDelivered;
        _installed = true;
        DeliverReady();
    }

    /// <summary>
    /// Drops the remembered final timestamps of a dead sender. Call it once recovery's verdicts are applied at
    /// every live replica: until then a replacement coordinator may ask again and need them.
    /// </summary>
    public void ForgetSender(int sender)
    {
        SkeenView view = RequireRunning();
        if (view.ContainsSender(sender))
            throw new InvalidOperationException($"Sender {sender} is still in view {view.Epoch}.");
        for (int i = 0; i < _pending.Count; i++)
            if (_pending[_pending.SlotAt(i)].Id.Sender == sender)
                throw new InvalidOperationException($"Node {Node} still holds messages of sender {sender}; apply its recovery first.");
        _senders.Remove(sender);
    }

    private ReceiveOutcome Admit(int sender, long epoch)
    {
        if (_stopped is not null) return ReceiveOutcome.Stopped;
        SkeenView view = _view ?? throw new InvalidOperationException($"Node {Node} has no view yet; install one first.");
        if (sender < 0) return ReceiveOutcome.Invalid;
        // A sender missing from our view is dead unless it speaks from a newer view we have not installed yet.
        if (!view.ContainsSender(sender) && epoch <= view.Epoch) return ReceiveOutcome.StaleSender;
        return ReceiveOutcome.Accepted;
    }

    private SenderTrack Track(int sender)
    {
        if (!_senders.TryGetValue(sender, out SenderTrack? track)) _senders.Add(sender, track = new SenderTrack());
        return track;
    }

    private void MakeFinal(int slot, long timestamp)
    {
        _clock = Math.Max(_clock, timestamp) + 1;
        _pending.MakeFinal(slot, timestamp);
    }

    private void DeliverReady()
    {
        if (!_caughtUp && !TryCatchUp()) return;
        while (TryNextDeliverable(out int slot))
        {
            PendingEntry<TPayload> e = _pending.Remove(slot);
            _lastDelivered = e.Key;
            _senders[e.Id.Sender].Delivered.Enqueue(new DeliveredFinal(e.Id, e.Timestamp, e.Epoch, e.Groups));
            _output.Deliver(e.Id, e.Timestamp, e.Payload);
        }
        CheckTransfers();
    }

    /// <summary>
    /// A joiner kept messages the donor still held. The donor had already delivered past them on the strength of
    /// its own proposals, so each must come out with a final key above the transferred state. That holds while the
    /// donor's proposals count; if the donor died first, a sender may finalise below — then the snapshot is not a
    /// consistent prefix and the join is aborted before anything is delivered from it. Until every kept message
    /// has cleared the transferred state, the joiner delivers nothing (and the donor's departure aborts it).
    /// </summary>
    private bool TryCatchUp()
    {
        if (!_installed || _stopped is not null) return false;
        if (_pending.TryPeekHead(out int head) && _pending[head].Key <= _lastDelivered)
        {
            if (_pending[head].IsFinal) Stop(ViewOutcome.JoinAborted);
            return false;
        }
        _caughtUp = true;
        return true;
    }

    private bool TryNextDeliverable(out int slot)
    {
        if (_rule == DeliveryRule.Skeen) return _pending.TryPeekHead(out slot) && _pending[slot].IsFinal;
        slot = -1;
        for (int i = 0; i < _pending.Count; i++)
        {
            int s = _pending.SlotAt(i);
            if (_pending[s].IsFinal && (slot < 0 || _pending[s].Key < _pending[slot].Key)) slot = s;
        }
        return slot >= 0;
    }

    /// <summary>
    /// The state cut for <paramref name="joiner"/> did not reach it (the push failed): cut it again, now, if the joiner
    /// is still a member with that incarnation. A later cut is as good as the first: it reflects more deliveries, and
    /// the joiner drops whatever it kept that the cut reflects.
    /// </summary>
    public void RetryTransfer(int joiner, long joinEpoch)
    {
        if (_stopped is not null || _view is null || !_view.Contains(joiner, joinEpoch) || _transfers.Contains((joiner, joinEpoch))) return;
        _transfers.Add((joiner, joinEpoch));
        CheckTransfers();
    }

    private void CheckTransfers()
    {
        if (_transfers.Count == 0 || !_caughtUp) return;
        for (int i = _transfers.Count - 1; i >= 0; i--)
        {
            (int joiner, long joinEpoch) = _transfers[i];
            if (!ReadyToTransfer(joinEpoch)) continue;
            _transfers.RemoveAt(i);
            _output.TransferReady(joiner, CaptureTransfer(joinEpoch));
        }
    }

    /// <summary>
    /// The snapshot for a replica admitted at <paramref name="joinEpoch"/> may be taken once no message sent
    /// without it can still arrive (every live sender has sent us that epoch) or is still pending here (each one
    /// was delivered or dropped): from then on every message not in the snapshot also reaches the joiner.
    /// </summary>
    private bool ReadyToTransfer(long joinEpoch)
    {
        foreach (int s in _view!.Senders)
            if (!_senders.TryGetValue(s, out SenderTrack? t) || t.HighestEpoch < joinEpoch) return false;
        for (int i = 0; i < _pending.Count; i++)
            if (_pending[_pending.SlotAt(i)].Epoch < joinEpoch) return false;
        return true;
    }

    private SkeenTransfer CaptureTransfer(long joinEpoch)
    {
        var watermarks = ImmutableArray.CreateBuilder<SenderWatermark>(_senders.Count);
        var delivered = ImmutableArray.CreateBuilder<DeliveredFinal>();
        foreach ((int sender, SenderTrack t) in _senders)
        {
            watermarks.Add(new SenderWatermark(sender, t.HighestSeq));
            delivered.AddRange(t.Delivered);
        }
        var pending = ImmutableArray.CreateBuilder<MessageId>(_pending.Count);
        for (int i = 0; i < _pending.Count; i++) pending.Add(_pending[_pending.SlotAt(i)].Id);
        return new SkeenTransfer(
            Node, joinEpoch, _clock, _lastDelivered, watermarks.MoveToImmutable(), pending.MoveToImmutable(), delivered.ToImmutable());
    }

    private SkeenView RequireRunning()
    {
        SkeenView view = _view ?? throw new InvalidOperationException($"Node {Node} has no view yet; install one first.");
        if (_stopped is ViewOutcome why) throw new InvalidOperationException($"Node {Node} stopped ({why}).");
        return view;
    }

    private ViewOutcome Stop(ViewOutcome why)
    {
        _stopped = why;
        return why;
    }
}
