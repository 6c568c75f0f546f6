using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>A primary process: a <see cref="PrimaryRole"/> that dials every backup, serves clients, and reports to the checks.</summary>
internal sealed class SimPrimaryNode(FusionSimulation sim, int index) : SimProcess(sim, $"P{index}"), IPrimaryOutput
{
    private readonly Dictionary<long, SimLink> _clients = [];
    private readonly Dictionary<(long Client, ulong Request), long> _writeSeqs = [];
    private SimLink?[] _backups = [];
    private SimBackupStream?[] _streams = [];

    // The residual arriving from each backup, on the link it arrives on.
    private (long Link, SimInbound? List)[] _residuals = [];

    public int Index { get; } = index;
    public PrimaryRole? Role { get; private set; }
    public RecoveryResult? LastRecovery { get; private set; }
    public long RecoveredAt { get; private set; }
    public long StartedAt { get; private set; }

    public override void Start()
    {
        _backups = new SimLink?[Sim.Options.Faults];
        _streams = new SimBackupStream?[Sim.Options.Faults];
        _residuals = new (long, SimInbound?)[Sim.Options.Faults];
        StartedAt = Sim.Now;
        Role = new PrimaryRole(Sim.Code, Index, window: 64, Sim.Options.MinAckBackups, FusionSimOptions.SuspectAfterMs,
            (ushort)Sim.Rng.Next(ushort.MaxValue + 1), Sim.Now, this);
        for (int j = 0; j < _backups.Length; j++) Dial(j);
    }

    public override void Stop()
    {
        Role?.Dispose();
        Role = null;
        _clients.Clear();
        _writeSeqs.Clear();
    }

    public override void Tick() => Role!.Tick(Sim.Now);

    private void Dial(int j)
    {
        int incarnation = Incarnation;
        Sim.Dial(this, Sim.Backups[j], link =>
        {
            _backups[j] = link;
            _streams[j] = new SimBackupStream(Sim, this, link);
            Sim.Trace($"{Name} linked to B{j} #{link.Id}");
            Role!.LinkUp(j, link.Id, Sim.Now);
        }, () =>
        {
            Role!.DialRefused(j, Sim.Now);
            Sim.At(Sim.Now + Sim.Rng.Next(10, 100), () =>
            {
                if (Incarnation == incarnation && State != ProcessState.Down) Sim.Deliver(this, () => Dial(j));
            });
        });
    }

    public override void OnLinkDown(SimLink link)
    {
        _clients.Remove(link.Id);
        int j = Array.IndexOf(_backups, link);
        if (j < 0) return;
        _backups[j] = null;
        _streams[j] = null;
        if (_residuals[j].List is not null) Sim.AbandonedTransfers++;
        _residuals[j] = default;
        Role!.LinkDown(j, link.Id, Sim.Now);
        int incarnation = Incarnation;
        Sim.At(Sim.Now + Sim.Rng.Next(5, 50), () =>
        {
            if (Incarnation == incarnation && State != ProcessState.Down) Sim.Deliver(this, () => Dial(j));
        });
    }

    public override void OnMessage(SimLink link, object message)
    {
        PrimaryRole role = Role!;
        if (link.Dialer is SimClient)
        {
            _clients[link.Id] = link;
            if (message is ClientRequest request) Serve(role, link.Id, request);
            return;
        }
        int j = Array.IndexOf(_backups, link);
        if (j < 0) return;
        switch (message)
        {
            case AttachedMsg m:
                Sim.Trace($"{Name} attached to B{j}: {m.View}");
                role.Attached(j, link.Id, m.View, m.Complete, Sim.Now);
                break;
            case AckMsg m: role.Ack(j, link.Id, m.Seq); break;
            case SnapshotRequestMsg m: role.SnapshotRequest(j, link.Id, m.Token); break;
            case StatusReplyMsg m: role.StatusReply(j, link.Id, m.Id, m.Report); break;
            case RetainedMsg m: role.Retained(j, link.Id, m.Id, m.Deltas); break;
            case ForwardedMsg m: role.Forwarded(j, link.Id, m.Id, m.Seq); break;
            case ResidualChunkMsg m: ResidualChunk(role, j, link.Id, m); break;
            case RefusedMsg m: role.Refused(j, link.Id, m.Id, m.Why, m.Message); break;
        }
    }

    private void ResidualChunk(PrimaryRole role, int j, long link, ResidualChunkMsg m)
    {
        SimInbound? current = _residuals[j] is { Link: var on, List: var l } && on == link ? l : null;
        if (SimInbound.For(Sim, current, m.Id, m.Total, m.Offset, $"{Name}'s residual from B{j}") is not { } list) return;
        _residuals[j] = (link, list);
        if (!list.Accept(Sim, m.Total, m.Offset, m.Words, $"{Name}'s residual from B{j}")) return;
        _residuals[j] = default;
        role.Residual(j, link, m.Id, m.Seqs, m.Lengths, list.Words);
    }

    private void Serve(PrimaryRole role, long client, ClientRequest r)
    {
        long before = role.Seq;
        switch (r.Op)
        {
            case ClientOp.Get: role.Read(client, r.Id, ReadKind.Get, r.Index); return;
            case ClientOp.Count: role.Read(client, r.Id, ReadKind.Count, 0); return;
            case ClientOp.ReadAll: role.Read(client, r.Id, ReadKind.All, 0); return;
        }
        ListOp op = r.Op switch
        {
            ClientOp.Append or ClientOp.AppendMany => ListOp.Append,
            ClientOp.Set => ListOp.Set,
            ClientOp.Insert => ListOp.Insert,
            ClientOp.RemoveAt => ListOp.RemoveAt,
            _ => ListOp.SwapRemoveAt,
        };
        ulong clientId = (ulong)(Array.IndexOf(Sim.Clients, (SimClient)_clients[client].Dialer) + 1);
        role.Write(client, r.Id, clientId, r.ClientSeq, r.Resend, new ListMutation(op, r.Index, r.Bit, r.Packed, r.PackedBits));
        if (role.Seq == before) return;
        _writeSeqs[(client, r.Id)] = role.Seq;
        if (!Sim.Lineages[Index].Record(role.Seq, role.Words, role.Count, (clientId, r.ClientSeq)))
            Sim.Fail($"P{Index} applied write {r.ClientSeq} of C{clientId - 1} twice (again as seq {role.Seq})");
    }

    private void Reply(long client, object reply)
    {
        if (_clients.TryGetValue(client, out SimLink? link)) Sim.Send(link, this, reply);
    }

    public long LastHeard(int backup) => _backups[backup]?.LastHeardBy(this) ?? Sim.Now;

    private void ToBackup(int backup, object message) => _streams[backup]?.Message(message);

    public void Attach(int backup, long life, long seq, long length, bool recovering) => ToBackup(backup, new AttachMsg(life, seq, length, recovering));

    public void Delta(int backup, long seq, long watermark, in Delta delta) => ToBackup(backup, new DeltaMsg(watermark, DeltaRecord.Copy(seq, delta)));

    public void Snapshot(int backup, ulong token, long life, long seq, ReadOnlySpan<ulong> words, long length, long basisLife, long basisSeq)
    {
        // A cut's snapshot lets later deltas pass its chunks after the first, as the real outbox does.
        _streams[backup]?.List(SimChunks.Split(words[..Core.Bits.Delta.WordsFor(length)])
            .Select(c => new SnapshotChunkMsg(token, life, seq, length, basisLife, basisSeq, c.Total, c.Offset, c.Words)).ToArray(), overtakable: token != 0);
    }

    public void Serving(int backup, long oldLife, long newLife, long seq) => ToBackup(backup, new ServingMsg(oldLife, newLife, seq));

    public void Reencode(int backup)
    {
        Sim.Trace($"{Name} asks B{backup} to re-encode");
        ToBackup(backup, new ReencodeMsg());
    }

    public void Status(int backup, ulong requestId) => ToBackup(backup, new StatusMsg(requestId));

    public void RetainedRequest(int backup, ulong requestId, int primary, long from, long to) =>
        ToBackup(backup, new RetainedRequestMsg(requestId, primary, from, to));

    public void Forward(int backup, ulong requestId, int primary, long life, DeltaRecord delta) =>
        ToBackup(backup, new ForwardMsg(requestId, primary, life, DeltaRecord.Copy(delta.Seq, delta.View)));

    public void Adopt(int backup, ulong requestId, int primary, long oldLife, long seq, long newLife) =>
        ToBackup(backup, new AdoptMsg(requestId, primary, oldLife, seq, newLife));

    public void ResidualRequest(int backup, ulong requestId, ReadOnlySpan<int> lost) => ToBackup(backup, new ResidualRequestMsg(requestId, lost.ToArray()));

    public void Close(int backup, string reason)
    {
        if (_backups[backup] is { } link) Sim.Close(link, $"{Name}: {reason}");
    }

    public void Done(long client, ulong requestId, long value)
    {
        if (_writeSeqs.Remove((client, requestId), out long seq)) Sim.Acknowledged(Index, seq);
        Reply(client, new ClientReply(requestId, value, null, null, 0));
    }

    public void Bits(long client, ulong requestId, SharedSnapshot snapshot)
    {
        ReadOnlySpan<ulong> words = snapshot.Words;
        (long length, long seq) = (snapshot.Length, snapshot.Version);
        Sim.CheckRead(Index, words, length, seq);
        foreach ((int total, int offset, ulong[] chunk) in SimChunks.Split(words[..Core.Bits.Delta.WordsFor(length)]))
            Reply(client, new BitsChunkMsg(requestId, seq, length, total, offset, chunk));
        snapshot.Release();
    }

    public void Failed(long client, ulong requestId, Outcome outcome, string message)
    {
        _writeSeqs.Remove((client, requestId));
        Reply(client, new ClientReply(requestId, 0, outcome, null, 0));
    }

    public void Recovered(RecoveryResult result)
    {
        LastRecovery = result;
        RecoveredAt = Sim.Now;
        Sim.Trace($"{Name} ready: {(result.Rebuilt ? "rebuilt" : "fresh")} seq {result.Seq} life {result.Life:x} lost [{string.Join(",", result.Lost)}] without [{string.Join(",", result.Suspected)}]");
        Sim.CheckRecovery(Index, Role!, result);
    }
}
