using BitFusion.Core.Abcast;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Core.Idempotency;

namespace BitFusion.Core.Replication;

/// <summary>
/// A manager's client writes, as a pure state machine: deduplication by (client id, seq), the window, the
/// multicast, and the outcome. A write is multicast once: a retry of one in flight or queued joins it (its answer
/// goes to the retry), a retry of a finished one gets its first result, and one this manager cannot vouch for is
/// answered <see cref="WriteAnswer.Forgotten"/>. Beyond <c>window</c> writes in flight a write waits in a queue
/// (no thread blocks on the window) and starts, oldest first, on <see cref="Pump"/>. A write completes as
/// <see cref="WriteTable{TTag}"/> decides. Skeen's sender belongs to the adapter (it is made when a view admits the
/// manager); its Completed and Abandoned effects come back here as <see cref="Finalized"/> and <see cref="Abandoned"/>.
/// </summary>
internal sealed class ManagerWrites<TClient, TPayload> : IWriteTableOutput<ManagerWrites<TClient, TPayload>.Call>
    where TClient : class
{
    private readonly IManagerWritesOutput<TClient, TPayload> _out;
    private readonly WriteDedup _dedup;
    private readonly WriteTable<Call> _table;
    private readonly Queue<Call> _queued = new();
    private readonly Stack<Call> _pool = new();
    private readonly int _window;

    public ManagerWrites(int window, int maxClients, IManagerWritesOutput<TClient, TPayload> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _window = window;
        _out = output;
        _dedup = new WriteDedup(maxClients, window);
        _table = new WriteTable<Call>(this);
    }

    /// <summary>Skeen's sender of the current life, once a view admitted this manager.</summary>
    public SkeenSender<TPayload>? Sender { get; set; }

    /// <summary>Writes multicast and not completed.</summary>
    public int InFlight => _table.Count;

    public int Queued => _queued.Count;

    public long CompletedCount => _table.CompletedCount;

    public long Divergences => _table.Divergences;

    /// <summary>A client's write; the answer may come now, later, or (for a retry) go to this request instead of the first.</summary>
    public void Submit(TClient client, ulong requestId, in WriteRequest<TPayload> request)
    {
        if (Sender is not { IsExcluded: false, View: { } view })
        {
            _out.Release(request.Payload);
            _out.Answer(client, requestId, new WriteReply(WriteAnswer.NotReady, 0, 0), request);
            return;
        }
        DedupDecision seen = _dedup.Begin(request.ClientId, request.ClientSeq, request.Resend);
        switch (seen.Verdict)
        {
            case DedupVerdict.New when view.MembersOf(request.Group).IsEmpty:
                _dedup.Forget(request.ClientId, request.ClientSeq);
                _out.Release(request.Payload);
                _out.Answer(client, requestId, new WriteReply(WriteAnswer.NoMember, 0, 0), request);
                return;
            case DedupVerdict.New:
            {
                Call call = _pool.Count > 0 ? _pool.Pop() : new Call();
                call.Set(client, requestId, request);
                if (_queued.Count > 0 || _table.Count >= _window) _queued.Enqueue(call);
                else Start(call);
                return;
            }
            case DedupVerdict.InFlight when Redirect(request.ClientId, request.ClientSeq, client, requestId):
                _out.Release(request.Payload);
                return;
            case DedupVerdict.Done:
                _out.Release(request.Payload);
                _out.Answer(client, requestId, WriteReply.Of(seen.First), request);
                return;
            default:
                _out.Release(request.Payload);
                _out.Answer(client, requestId, new WriteReply(WriteAnswer.Forgotten, 0, 0), request);
                return;
        }
    }

    /// <summary>Starts queued writes while the window has room; call once Skeen's sender has returned (never from its effects).</summary>
    public void Pump()
    {
        while (_queued.Count > 0 && _table.Count < _window) Start(_queued.Dequeue());
    }

    /// <summary>A delivery report of this manager's multicast <paramref name="seq"/> from the life (node, incarnation) its link was synced for.</summary>
    public void Delivered(long seq, int node, long incarnation, in DeliveryReport report) => _table.Delivered(seq, node, incarnation, report);

    /// <summary>Skeen's sender finalised multicast <paramref name="seq"/>.</summary>
    public void Finalized(long seq) => _table.Finalized(seq);

    /// <summary>Skeen's sender abandoned multicast <paramref name="seq"/>: not applied anywhere, so a retry may apply it.</summary>
    public void Abandoned(long seq)
    {
        if (!_table.Abandon(seq, out Call call, out _)) return;
        _dedup.Forget(call.ClientId, call.ClientSeq);
        if (call.Client is { } client) _out.Answer(client, call.RequestId, new WriteReply(WriteAnswer.Abandoned, 0, 0), call.Request);
        Recycle(call);
    }

    /// <summary>A view was installed: writes stop waiting on destinations that left it.</summary>
    public void Settle(SkeenView view) => _table.Settle(view);

    /// <summary>Writes of <paramref name="group"/> complete only once <see cref="Release"/> says its replicas confirmed the view (<see cref="WriteTable{TTag}.Hold"/>).</summary>
    public void Hold(int group) => _table.Hold(group);

    public void Release(int group) => _table.Release(group);

    /// <summary>The manager left the view: no write here will be answered; queued ones were never multicast.</summary>
    public void Exclude()
    {
        foreach (Call call in _table.Tags)
            if (call.Client is { } client) _out.Abort(client, multicast: true);
        while (_queued.TryDequeue(out Call? call))
        {
            _out.Release(call.Payload);
            _out.Abort(call.Client!, multicast: false);
            Recycle(call);
        }
    }

    private void Start(Call call)
    {
        if (Sender is not { IsExcluded: false, View: { } view } sender || view.MembersOf(call.Group).IsEmpty)
        {
            _dedup.Forget(call.ClientId, call.ClientSeq);
            _out.Release(call.Payload);
            _out.Answer(call.Client!, call.RequestId, new WriteReply(WriteAnswer.NoMember, 0, 0), call.Request);
            Recycle(call);
            return;
        }
        MessageId id = sender.Multicast(GroupSet.Of(call.Group), call.Payload);
        call.Payload = default!;
        _table.Add(id.Seq, call.Group, call, view.MembersOf(call.Group));
    }

    /// <summary>Points a write in flight or queued at the retry's client and request id; false if it is in neither.</summary>
    private bool Redirect(ulong clientId, ulong clientSeq, TClient client, ulong requestId)
    {
        foreach (Call call in _table.Tags)
            if (call.ClientId == clientId && call.ClientSeq == clientSeq)
            {
                (call.Client, call.RequestId) = (client, requestId);
                return true;
            }
        foreach (Call call in _queued)
            if (call.ClientId == clientId && call.ClientSeq == clientSeq)
            {
                (call.Client, call.RequestId) = (client, requestId);
                return true;
            }
        return false;
    }

    private void Recycle(Call call)
    {
        call.Client = null;
        call.Payload = default!;
        _pool.Push(call);
    }

    void IWriteTableOutput<Call>.Completed(Call call, int group, in WriteResult result)
    {
        _dedup.Complete(call.ClientId, call.ClientSeq, result);
        _out.Completed(group, call.Started);
        if (call.Client is { } client) _out.Answer(client, call.RequestId, WriteReply.Of(result), call.Request);
        Recycle(call);
    }

    void IWriteTableOutput<Call>.Diverged(int group, in DeliveryReport first, in DeliveryReport other) => _out.Diverged(group, first, other);

    /// <summary>One write from its arrival to its answer; pooled.</summary>
    public sealed class Call
    {
        public TClient? Client;
        public ulong RequestId;
        public ulong ClientId;
        public ulong ClientSeq;
        public int Group;
        public ListOp Kind;
        public long Index;
        public long Started;
        public TPayload Payload = default!;

        internal WriteRequest<TPayload> Request => new(ClientId, ClientSeq, false, Group, Kind, Index, Payload, Started);

        internal void Set(TClient client, ulong requestId, in WriteRequest<TPayload> request)
        {
            (Client, RequestId, ClientId, ClientSeq) = (client, requestId, request.ClientId, request.ClientSeq);
            (Group, Kind, Index, Payload, Started) = (request.Group, request.Kind, request.Index, request.Payload, request.Started);
        }
    }
}
