using System.Runtime.InteropServices;

namespace BitFusion.Core.Abcast;

/// <summary>
/// The multicasting side of Skeen's algorithm, one per manager process; several senders may multicast to the same
/// groups at once. A multicast goes as data to every member of its groups in the current view; when every live
/// destination has proposed, the final timestamp (the maximum proposal) goes to all of them. Many multicasts are
/// in flight at once: nothing here waits. A pure state machine, not thread-safe: feed it from one loop.
/// </summary>
internal sealed class SkeenSender<TPayload>
{
    private readonly ISkeenSenderOutput<TPayload> _output;
    private readonly Dictionary<long, Outgoing<TPayload>> _inFlight = new();
    private readonly Dictionary<int, SenderLink> _links = new();
    private readonly Queue<long>?[] _unstableByGroup = new Queue<long>?[GroupSet.Capacity];
    private readonly Stack<Outgoing<TPayload>> _pool = new();
    private readonly List<Outgoing<TPayload>> _scratch = new();
    private SkeenView? _view;
    private long _clock;
    private long _lastSeq;
    private int _unfinished;
    private bool _excluded;

    public SkeenSender(int id, ISkeenSenderOutput<TPayload> output)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentNullException.ThrowIfNull(output);
        Id = id;
        _output = output;
    }

    public int Id { get; }

    public long Clock => _clock;

    public SkeenView? View => _view;

    public bool IsExcluded => _excluded;

    /// <summary>Multicasts still waiting for proposals: what back-pressure should bound.</summary>
    public int UnfinishedCount => _unfinished;

    /// <summary>Multicasts still tracked: unfinished ones plus finals not yet acknowledged by every destination.</summary>
    public int TrackedCount => _inFlight.Count;

    /// <summary>
    /// Installs a newer view: destinations that left stop being awaited (which may finalise multicasts with the
    /// proposals already in), data nodes that joined receive every later multicast, and every member gets an
    /// <see cref="EpochMarker"/>. The first view starts the sender.
    /// </summary>
    public ViewOutcome InstallView(SkeenView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (_excluded) return ViewOutcome.Excluded;
        if (_view is not null && view.Epoch <= _view.Epoch) return ViewOutcome.Stale;
        if (!view.ContainsSender(Id))
        {
            if (_view is null) throw new ArgumentException($"Sender {Id} is not in view {view.Epoch}; a sender starts in a view that admits it.", nameof(view));
            _excluded = true;
            return ViewOutcome.Excluded;
        }

        foreach (ViewMember m in view.Receivers)
            if (!_links.TryGetValue(m.Node, out SenderLink? link) || link.Incarnation != m.Incarnation)
                _links[m.Node] = new SenderLink(m.Incarnation, m.Group);
        if (_links.Count > view.Receivers.Length)
            foreach (int node in _links.Keys.ToArray())
                if (!view.TryGetReceiver(node, out _)) _links.Remove(node);
        _view = view;

        // Every departed destination goes before any final does: sending a final retires acknowledged multicasts,
        // which looks at every destination's link.
        foreach (Outgoing<TPayload> o in _inFlight.Values)
        {
            List<Destination> dests = o.Destinations;
            for (int i = dests.Count - 1; i >= 0; i--)
            {
                if (view.Contains(dests[i].Node, dests[i].Incarnation)) continue;
                if (!o.IsFinal && !dests[i].Proposed) o.Awaiting--;
                dests.RemoveAt(i);
            }
            if (!o.IsFinal && o.Awaiting == 0) _scratch.Add(o);
        }
        foreach (Outgoing<TPayload> o in _scratch)
        {
            if (o.Destinations.Count == 0) Abandon(o);
            else Finalize(o);
        }
        _scratch.Clear();

        foreach (ViewMember m in view.Receivers) _output.SendMarker(m.Node, new EpochMarker(Id, view.Epoch));
        return ViewOutcome.Installed;
    }

    /// <summary>
    /// Starts a multicast to every current member of <paramref name="groups"/>. Throws, changing nothing, if a
    /// group has no member in the view.
    /// </summary>
    public MessageId Multicast(GroupSet groups, TPayload payload)
    {
        SkeenView view = RequireRunning();
        if (groups.IsEmpty) throw new ArgumentException("A multicast needs at least one destination group.", nameof(groups));
        foreach (int g in groups)
            if (view.MembersOf(g).IsEmpty)
                throw new ArgumentException($"Group {g} has no data node in view {view.Epoch}.", nameof(groups));

        long seq = ++_lastSeq;
        Outgoing<TPayload> o = _pool.Count > 0 ? _pool.Pop() : new Outgoing<TPayload>();
        o.Seq = seq;
        o.Groups = groups;
        o.Epoch = view.Epoch;
        o.Timestamp = ++_clock;
        o.Payload = payload;
        foreach (int g in groups)
        {
            foreach (ViewMember m in view.MembersOf(g)) o.Destinations.Add(new Destination(m.Node, m.Incarnation));
            (_unstableByGroup[g] ??= new Queue<long>()).Enqueue(seq);
        }
        o.Awaiting = o.Destinations.Count;
        _inFlight.Add(seq, o);
        _unfinished++;

        var id = new MessageId(Id, seq);
        foreach (Destination d in CollectionsMarshal.AsSpan(o.Destinations))
        {
            SenderLink link = _links[d.Node];
            link.HighestDataSeqSent = seq;
            _output.SendData(d.Node, new DataMessage<TPayload>(id, o.Timestamp, o.Epoch, groups, StableSeq(link.Group), payload));
        }
        return id;
    }

    /// <summary>
    /// A proposal from <paramref name="node"/>: the clock catches up with it, and once every live destination has
    /// proposed, the final timestamp goes out.
    /// </summary>
    public ReceiveOutcome OnProposal(int node, in ProposalMessage proposal)
    {
        if (_excluded) return ReceiveOutcome.Stopped;
        RequireRunning();
        if (proposal.Id.Sender != Id) return ReceiveOutcome.Invalid;
        if (!_links.TryGetValue(node, out SenderLink? link)) return ReceiveOutcome.StaleSender;
        if (proposal.Id.Seq > link.HighestDataSeqSent) return ReceiveOutcome.Invalid;

        _clock = Math.Max(_clock, proposal.Timestamp);
        link.HighestProposalSeq = Math.Max(link.HighestProposalSeq, proposal.Id.Seq);
        if (!_inFlight.TryGetValue(proposal.Id.Seq, out Outgoing<TPayload>? o) || o.IsFinal) return ReceiveOutcome.Duplicate;
        int i = o.IndexOf(node, link.Incarnation);
        if (i < 0) return ReceiveOutcome.NotAddressed;
        ref Destination d = ref CollectionsMarshal.AsSpan(o.Destinations)[i];
        if (d.Proposed) return ReceiveOutcome.Duplicate;

        d.Proposed = true;
        o.MaxProposal = Math.Max(o.MaxProposal, proposal.Timestamp);
        if (--o.Awaiting == 0) Finalize(o);
        return ReceiveOutcome.Accepted;
    }

    /// <summary>
    /// After a reconnect to <paramref name="node"/>, before anything new goes on the connection: every final it may
    /// have missed, then the data of every multicast still waiting for its proposal in sequence order, then the
    /// marker. Finals go before data so that a proposal for resent data still acknowledges every final sent before
    /// it; the marker goes last because resent data may carry an older epoch.
    /// </summary>
    public void Resend(int node)
    {
        SkeenView view = RequireRunning();
        if (!_links.TryGetValue(node, out SenderLink? link)) return;
        Queue<long>? unstable = _unstableByGroup[link.Group];
        if (unstable is not null) ResendUnstable(node, link, unstable, view.Epoch);
        _output.SendMarker(node, new EpochMarker(Id, view.Epoch));
    }

    private void ResendUnstable(int node, SenderLink link, Queue<long> unstable, long epoch)
    {
        long stable = StableSeq(link.Group);
        foreach (long seq in unstable)
        {
            if (!_inFlight.TryGetValue(seq, out Outgoing<TPayload>? o) || !o.IsFinal) continue;
            int i = o.IndexOf(node, link.Incarnation);
            if (i >= 0 && link.HighestProposalSeq <= o.Destinations[i].FinalAfterSeq)
                _output.SendFinal(node, new FinalMessage(new MessageId(Id, seq), o.FinalTimestamp, epoch, stable));
        }
        foreach (long seq in unstable)
        {
            if (!_inFlight.TryGetValue(seq, out Outgoing<TPayload>? o) || o.IsFinal) continue;
            int i = o.IndexOf(node, link.Incarnation);
            if (i >= 0 && !o.Destinations[i].Proposed)
                _output.SendData(node, new DataMessage<TPayload>(new MessageId(Id, seq), o.Timestamp, o.Epoch, o.Groups, stable, o.Payload));
        }
    }

    private void Finalize(Outgoing<TPayload> o)
    {
        o.IsFinal = true;
        o.FinalTimestamp = o.MaxProposal;
        _clock = Math.Max(_clock, o.FinalTimestamp);
        _unfinished--;
        Span<Destination> dests = CollectionsMarshal.AsSpan(o.Destinations);
        // Every threshold is set before any final goes out: StableSeq below inspects this very message.
        foreach (ref Destination d in dests) d.FinalAfterSeq = _links[d.Node].HighestDataSeqSent;
        var id = new MessageId(Id, o.Seq);
        long epoch = _view!.Epoch;
        foreach (ref Destination d in dests)
            _output.SendFinal(d.Node, new FinalMessage(id, o.FinalTimestamp, epoch, StableSeq(_links[d.Node].Group)));
        TPayload payload = o.Payload;
        o.Payload = default!;
        _output.Completed(id, o.FinalTimestamp, payload);
    }

    private void Abandon(Outgoing<TPayload> o)
    {
        _unfinished--;
        _inFlight.Remove(o.Seq);
        var id = new MessageId(Id, o.Seq);
        TPayload payload = o.Payload;
        Recycle(o);
        _output.Abandoned(id, payload);
    }

    /// <summary>
    /// The highest s such that every multicast to <paramref name="group"/> numbered up to s is stable: final, and
    /// the final acknowledged by every live destination. Receivers in the group may then forget those final
    /// timestamps. Retires stable multicasts from the front of the group's queue on the way.
    /// </summary>
    private long StableSeq(int group)
    {
        Queue<long> unstable = _unstableByGroup[group]!;
        while (unstable.Count > 0 && TryRetire(unstable.Peek())) unstable.Dequeue();
        return unstable.Count > 0 ? unstable.Peek() - 1 : _lastSeq;
    }

    private bool TryRetire(long seq)
    {
        if (!_inFlight.TryGetValue(seq, out Outgoing<TPayload>? o)) return true;
        if (!o.IsFinal) return false;
        foreach (Destination d in CollectionsMarshal.AsSpan(o.Destinations))
            if (_links[d.Node].HighestProposalSeq <= d.FinalAfterSeq) return false;
        _inFlight.Remove(seq);
        Recycle(o);
        return true;
    }

    private void Recycle(Outgoing<TPayload> o)
    {
        o.Reset();
        _pool.Push(o);
    }

    private SkeenView RequireRunning()
    {
        if (_excluded) throw new InvalidOperationException($"Sender {Id} was excluded from the view and must stop.");
        return _view ?? throw new InvalidOperationException($"Sender {Id} has no view yet; install one first.");
    }
}
