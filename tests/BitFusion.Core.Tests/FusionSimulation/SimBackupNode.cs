using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>A backup process: a <see cref="BackupRole"/> whose effects become simulated messages.</summary>
internal sealed class SimBackupNode(FusionSimulation sim, int index) : SimProcess(sim, $"B{index}"), IBackupOutput
{
    private readonly Dictionary<long, SimLink> _links = [];
    private readonly Dictionary<long, SimInbound> _snapshots = [];

    // Links on which a cut's snapshot is mid-way: its first chunk in, its last not yet.
    private readonly HashSet<long> _cutSnapshots = [];

    public int Index { get; } = index;
    public BackupRole? Role { get; private set; }

    public override void Start() => Role = new BackupRole(Sim.Code, Index, FusionSimOptions.SuspectAfterMs, this);

    public override void Stop()
    {
        Role?.Dispose();
        Role = null;
        _links.Clear();
        _snapshots.Clear();
        _cutSnapshots.Clear();
    }

    public override void Tick() => Role!.Tick(Sim.Now);

    public override void OnLinkDown(SimLink link)
    {
        _links.Remove(link.Id);
        if (_snapshots.Remove(link.Id) | _cutSnapshots.Remove(link.Id)) Sim.AbandonedTransfers++;
        Role!.Disconnected(link.Id);
    }

    public override void OnMessage(SimLink link, object message)
    {
        BackupRole role = Role!;
        if (link.Dialer is not SimPrimaryNode primary) return;
        int p = primary.Index;
        _links[link.Id] = link;
        switch (message)
        {
            case AttachMsg m: role.Attach(p, link.Id, m.Life, m.Seq, m.Recovering); break;
            case DeltaMsg m:
                if (_cutSnapshots.Contains(link.Id)) Sim.OvertakingDeltas++;
                role.Delta(p, link.Id, m.Delta.Seq, m.Watermark, m.Delta.View);
                break;
            case SnapshotChunkMsg m: SnapshotChunk(role, p, link.Id, m); break;
            case ServingMsg m: role.Serving(p, link.Id, m.OldLife, m.NewLife, m.Seq); break;
            case ReencodeMsg: role.Reencode(p, link.Id); break;
            case StatusMsg m: role.Status(link.Id, m.Id); break;
            case RetainedRequestMsg m: role.RetainedRequest(link.Id, m.Id, m.Primary, m.From, m.To); break;
            case ForwardMsg m: role.Forward(link.Id, m.Id, m.Primary, m.Life, m.Delta.Seq, m.Delta.View); break;
            case AdoptMsg m: role.Adopt(link.Id, m.Id, m.Primary, m.OldLife, m.Seq, m.NewLife); break;
            case ResidualRequestMsg m: role.ResidualRequest(link.Id, m.Id, m.Lost); break;
        }
    }

    private void SnapshotChunk(BackupRole role, int p, long link, SnapshotChunkMsg m)
    {
        if (m.Token != 0)
        {
            // A cut's snapshot is folded in chunk by chunk, as BackupNode does; the survivor's deltas may come between.
            bool last = m.Offset + m.Words.Length == m.Total;
            if (m.Offset == 0 && !last) _cutSnapshots.Add(link);
            if (last && (_cutSnapshots.Remove(link) || m.Offset == 0))
            {
                Sim.ChunkedTransfers++;
                if (m.Offset > 0) Sim.MultiChunkTransfers++;
            }
            role.CutChunk(p, link, m.Token, m.Seq, m.Total, m.Offset, m.Words);
            return;
        }
        if (SimInbound.For(Sim, _snapshots.GetValueOrDefault(link), m.Token, m.Total, m.Offset, $"{Name}'s snapshot from P{p}") is not { } list) return;
        _snapshots[link] = list;
        if (!list.Accept(Sim, m.Total, m.Offset, m.Words, $"{Name}'s snapshot from P{p}")) return;
        _snapshots.Remove(link);
        role.Snapshot(p, link, m.Token, m.Life, m.Seq, list.Words, m.Length, m.BasisLife, m.BasisSeq);
    }

    private void Send(long link, object message)
    {
        if (_links.TryGetValue(link, out SimLink? l)) Sim.Send(l, this, message);
    }

    public long LastHeard(long link) => _links.TryGetValue(link, out SimLink? l) ? l.LastHeardBy(this) : Sim.Now;

    public void Attached(long link, PrimaryView view, bool complete) => Send(link, new AttachedMsg(view, complete));

    public void Ack(long link, long seq) => Send(link, new AckMsg(seq));

    public void SnapshotRequest(long link, ulong token) => Send(link, new SnapshotRequestMsg(token));

    public void Status(long link, ulong requestId, BackupReport report) => Send(link, new StatusReplyMsg(requestId, report));

    /// <summary>Retained replies sent, each holding at most <see cref="FusionSimulation.RetainedPerReply"/> deltas (as a real backup fills one frame).</summary>
    public int RetainedReplies { get; private set; }

    public void Retained(long link, ulong requestId, IReadOnlyList<DeltaRecord> deltas)
    {
        RetainedReplies++;
        Send(link, new RetainedMsg(requestId, deltas.Take(Sim.RetainedPerReply).Select(d => DeltaRecord.Copy(d.Seq, d.View)).ToArray()));
    }

    public void Forwarded(long link, ulong requestId, long seq) => Send(link, new ForwardedMsg(requestId, seq));

    public void Residual(long link, ulong requestId, ReadOnlySpan<long> seqs, ReadOnlySpan<long> lengths, ulong[] words, int wordCount)
    {
        long[] s = seqs.ToArray();
        long[] l = lengths.ToArray();
        foreach ((int total, int offset, ulong[] chunk) in SimChunks.Split(words.AsSpan(0, wordCount)))
            Send(link, new ResidualChunkMsg(requestId, s, l, total, offset, chunk));
        System.Buffers.ArrayPool<ulong>.Shared.Return(words);
    }

    public void Refused(long link, ulong requestId, Refusal why, string message) => Send(link, new RefusedMsg(requestId, why, message));

    public void Close(long link, string reason)
    {
        if (reason.Contains("skipped", StringComparison.Ordinal) || reason.Contains("before it was serving", StringComparison.Ordinal)
            || reason.Contains("invalid", StringComparison.Ordinal) || reason.Contains("already holds", StringComparison.Ordinal))
            Sim.Fail($"{Name} saw a protocol violation: {reason}");
        if (_links.Remove(link, out SimLink? l)) Sim.Close(l, $"{Name}: {reason}");
    }
}
