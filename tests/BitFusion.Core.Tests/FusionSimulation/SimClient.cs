namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// A client with a script of random operations on one primary, one at a time. It gives up on a request after its
/// timeout (and redials), as a real client does; once faults stop, no request may go unanswered that long.
/// </summary>
internal sealed class SimClient(FusionSimulation sim, int index, SimPrimaryNode target) : SimProcess(sim, $"C{index}")
{
    private SimLink? _link;
    private bool _dialing;
    private ulong _nextId;
    private ClientRequest? _outstanding;
    private long _sentAt;
    private int _count;
    private ulong _writeSeq;
    private ClientRequest? _retry;
    private int _retries;
    private SimInbound? _read;
    private bool _grown;
    private int _openings;

    public int Done { get; private set; }
    public bool Finished => Done >= Sim.Options.OpsPerClient;

    public override void Start() => Connect();

    public override void Stop()
    {
    }

    private void Connect()
    {
        if (_dialing || _link is not null) return;
        _dialing = true;
        Sim.Dial(this, target, link =>
        {
            _dialing = false;
            _link = link;
            SendNext();
        }, () =>
        {
            _dialing = false;
            Sim.At(Sim.Now + Sim.Rng.Next(20, 200), Connect);
        });
    }

    public override void Tick()
    {
        if (_outstanding is not null && Sim.Now - _sentAt > FusionSimOptions.ClientTimeoutMs)
        {
            // A primary that ran throughout answers within the timeout whatever its backups do: a silent backup is
            // suspected and dropped, and writes then complete or fail fast.
            if (target.State == ProcessState.Up && target.DisruptedAt < _sentAt)
                Sim.Fail($"{Name}'s {_outstanding.Op} sent at {_sentAt} to {target}, which ran throughout, had no answer after {FusionSimOptions.ClientTimeoutMs} ms");
            RetryLater(_outstanding);
            _outstanding = null;
            if (_link is { } link) Sim.Close(link, $"{Name} timed out");
        }
        if (_link is null) Connect();
    }

    public override void OnLinkDown(SimLink link)
    {
        if (_link != link) return;
        _link = null;
        if (_read is not null) Sim.AbandonedTransfers++;
        _read = null;
        RetryLater(_outstanding);
        _outstanding = null;
        Sim.At(Sim.Now + Sim.Rng.Next(5, 50), Connect);
    }

    public override void OnMessage(SimLink link, object message)
    {
        if (message is BitsChunkMsg chunk)
        {
            if (_outstanding is null || chunk.Id != _outstanding.Id) return;
            if (SimInbound.For(Sim, _read, chunk.Id, chunk.Total, chunk.Offset, $"{Name}'s ReadAll") is not { } list) return;
            _read = list;
            if (!list.Accept(Sim, chunk.Total, chunk.Offset, chunk.Words, $"{Name}'s ReadAll")) return;
            _read = null;
            message = new ClientReply(chunk.Id, chunk.Seq, null, list.Words, chunk.Length);
        }
        if (message is not ClientReply reply || _outstanding is null || reply.Id != _outstanding.Id) return;
        ClientOp op = _outstanding.Op;
        if (reply.Failure is Fusion.Roles.Outcome.Unknown) RetryLater(_outstanding);
        _outstanding = null;
        if (reply.Failure is null)
        {
            Done++;
            _grown |= op == ClientOp.AppendMany;
            _count = op is ClientOp.Count or ClientOp.Append or ClientOp.AppendMany or ClientOp.Set or ClientOp.Insert or ClientOp.RemoveAt or ClientOp.SwapRemoveAt
                ? (int)reply.Value : op == ClientOp.ReadAll ? (int)reply.Length : _count;
        }
        Sim.At(Sim.Now + Sim.Rng.Next(0, 30), SendNext);
    }

    /// <summary>A write whose outcome is unknown is sent again with the same client seq (a few times), to learn it without applying it twice.</summary>
    private void RetryLater(ClientRequest? request)
    {
        if (request is null || request.ClientSeq == 0 || _retries++ >= 3) return;
        _retry = request;
    }

    private void SendNext()
    {
        if (_link is null || !_link.Open || _outstanding is not null || Finished) return;
        if (_retry is { } again)
        {
            _retry = null;
            _outstanding = again with { Id = ++_nextId, Resend = true };
            _sentAt = Sim.Now;
            Sim.Send(_link, this, _outstanding);
            return;
        }
        if (Sim.Options.Growing && !_grown && _openings++ < 10)
        {
            int bits = Sim.Rng.Next(64, FusionSimOptions.MaxOpeningBits + 1);
            var packed = new ulong[(bits + 63) / 64];
            for (int i = 0; i < packed.Length; i++) packed[i] = (ulong)Sim.Rng.NextInt64();
            if ((bits & 63) != 0) packed[^1] &= (1UL << (bits & 63)) - 1;
            _retries = 0;
            _outstanding = new ClientRequest(++_nextId, ClientOp.AppendMany, 0, false, ++_writeSeq, Resend: false, packed, bits);
            _sentAt = Sim.Now;
            Sim.Send(_link, this, _outstanding);
            return;
        }
        var op = (ClientOp)Sim.Rng.Next(8);
        int index = _count == 0 ? 0 : Sim.Rng.Next(_count + 1) - (Sim.Rng.Next(20) == 0 ? 0 : 1);
        if (index < 0) index = 0;
        bool write = op is ClientOp.Append or ClientOp.Set or ClientOp.Insert or ClientOp.RemoveAt or ClientOp.SwapRemoveAt;
        _retries = 0;
        _outstanding = new ClientRequest(++_nextId, op, op == ClientOp.Insert ? Math.Min(index, _count) : index, Sim.Rng.Next(2) == 1,
            write ? ++_writeSeq : 0, Resend: false);
        _sentAt = Sim.Now;
        Sim.Send(_link, this, _outstanding);
    }
}
