using System.Net;
using System.Runtime.InteropServices;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A fused backup server: holds one <see cref="FusedBackup"/> for all primaries, applies each primary's deltas in
/// sequence order and acknowledges them, keeps recent deltas for reconciliation, and serves recoveries (status,
/// retained deltas, forwarded deltas and non-blocking residual cuts). All state changes happen under one lock,
/// after a frame has been fully parsed and validated.
/// </summary>
public sealed class BackupNode : IFrameHandler, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Cluster _cluster;
    private readonly ListLimits _limits;
    private readonly FusedBackup _backup;
    private readonly PrimarySlot[] _slots;
    private readonly List<Cut> _cuts = [];
    private readonly FrameServer _server;
    private ulong _nextToken = 1;

    public BackupNode(Cluster cluster, int nodeId, IPEndPoint? bind = null)
    {
        _cluster = cluster;
        _limits = ListLimits.For(cluster.Config.MaxFrameBytes);
        BackupIndex = cluster.BackupIndex(nodeId);
        var code = new FusionCode(cluster.Primaries.Count, cluster.Faults);
        _backup = new FusedBackup(code, BackupIndex);
        _slots = new PrimarySlot[code.Primaries];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new PrimarySlot();
        NodeConfig me = cluster.Node(nodeId);
        bind ??= Cluster.BindEndPointOf(me);
        _server = new FrameServer(bind, cluster.Key, new PeerIdentity(NodeRole.Backup, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes, cluster.Config.HeartbeatMs,
            maxHandshakes: cluster.Config.MaxHandshakes, maxQueuedBytes: cluster.Config.MaxSendQueueBytes ?? 0);
    }

    public int BackupIndex { get; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters Counters => _server.Counters;

    /// <summary>The backup state itself, for in-process inspection (tests, heap accounting).</summary>
    public FusedBackup State => _backup;

    public void Start() => _server.Start();

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        if (frame.Type == MessageType.Stats)
        {
            ReplyStats(connection, frame);
            return;
        }
        if (frame.Type == MessageType.ReadAll && connection.Peer.Role == NodeRole.Client)
        {
            ReplyFused(connection, frame);
            return;
        }
        if (connection.Peer.Role != NodeRole.Primary)
            throw new ProtocolException($"A {connection.Peer.Role} may only ask for Stats or ReadAll; it sent frame type {(byte)frame.Type}.");
        int p = PrimaryOf(connection);
        switch (frame.Type)
        {
            case MessageType.Attach: OnAttach(connection, p, frame); break;
            case MessageType.Delta: OnDelta(connection, p, frame); break;
            case MessageType.Snapshot: OnSnapshot(connection, p, frame); break;
            case MessageType.Serving: OnServing(connection, p, frame); break;
            case MessageType.Status: OnStatus(connection, frame); break;
            case MessageType.RetainedRequest: OnRetainedRequest(connection, frame); break;
            case MessageType.Forward: OnForward(connection, frame); break;
            case MessageType.ResidualRequest: OnResidualRequest(connection, frame); break;
            default: throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} for a backup.");
        }
    }

    public void OnClose(Connection connection)
    {
        lock (_gate)
        {
            foreach (PrimarySlot slot in _slots)
                if (slot.Connection == connection)
                {
                    slot.Connection = null;
                    slot.Serving = false;
                }
            for (int i = _cuts.Count - 1; i >= 0; i--)
            {
                Cut cut = _cuts[i];
                int broken = -1;
                for (int s = 0; s < _slots.Length; s++)
                    if (cut.Waiting[s] && _slots[s].Connection is null) broken = s;
                if (cut.Requester == connection) EndCut(cut);
                else if (broken >= 0)
                {
                    EndCut(cut);
                    Replies.Error(cut.Requester, cut.RequestId, ErrorCode.Unavailable, $"primary {broken} went away during the cut");
                }
            }
        }
    }

    private int PrimaryOf(Connection connection)
    {
        for (int i = 0; i < _cluster.Primaries.Count; i++)
            if (_cluster.Primaries[i].Id == connection.Peer.NodeId) return i;
        throw new ProtocolException($"Node {connection.Peer.NodeId} is not a primary of this cluster.");
    }

    private void OnAttach(Connection connection, int p, in Frame frame)
    {
        var r = frame.Reader();
        long seq = r.I64();
        int length = r.Count("length", int.MaxValue);
        bool recovering = r.Bool();
        r.End();
        long mySeq;
        int myLength;
        bool loaded, complete;
        lock (_gate)
        {
            PrimarySlot slot = _slots[p];
            if (slot.Connection is { } old && old != connection) old.Close("replaced by a new connection from the same primary");
            slot.Connection = connection;
            slot.Serving = false;
            mySeq = _backup.Seq(p);
            myLength = _backup.Length(p);
            loaded = slot.Loaded;
            complete = IsComplete();
            // A primary that kept its state reattaches (a dropped connection, not a crash): it resumes serving once
            // it has resent what this backup misses; that resend arrives as ordinary deltas on this connection.
            if (!recovering && loaded && seq >= mySeq) slot.Serving = true;
        }
        Log.Info($"primary {p} attached (seq {seq}, length {length}{(recovering ? ", recovering" : "")}); backup holds seq {mySeq}, loaded {loaded}");
        Span<byte> reply = stackalloc byte[14];
        var w = new PayloadWriter(reply);
        w.I64(mySeq);
        w.I32(myLength);
        w.Bool(loaded);
        w.Bool(complete);
        connection.Send(MessageType.Attached, reply);
    }

    private void OnDelta(Connection connection, int p, in Frame frame)
    {
        var r = frame.Reader();
        Delta delta = DeltaWire.Read(ref r, _limits.MaxListBits, out long seq, out long watermark);
        r.End();
        long acked;
        lock (_gate)
        {
            if (!_slots[p].Serving) throw new ProtocolException($"Primary {p} sent a delta before it was serving.");
            ApplyOutcome outcome = ApplyLocked(p, seq, delta, frame.Payload.Span);
            if (outcome == ApplyOutcome.Gap) throw new ProtocolException($"Primary {p} skipped from seq {_backup.Seq(p)} to {seq}.");
            _slots[p].Retained.DropThrough(watermark);
            acked = _backup.Seq(p);
        }
        Span<byte> ack = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(ack, acked);
        connection.Enqueue(MessageType.Ack, ack);
    }

    private ApplyOutcome ApplyLocked(int p, long seq, in Delta delta, ReadOnlySpan<byte> payload)
    {
        int oldLength = _backup.Length(p);
        ApplyOutcome outcome;
        try
        {
            outcome = _backup.Apply(p, seq, delta);
        }
        catch (ArgumentException e)
        {
            throw new ProtocolException($"Invalid delta from primary {p}: {e.Message}");
        }
        if (outcome != ApplyOutcome.Applied) return outcome;
        _slots[p].Retained.Add(seq, payload);
        byte c = _backup.Coefficient(p);
        foreach (Cut cut in _cuts)
        {
            if (!cut.Waiting[p]) continue;
            cut.EnsureWords(Math.Max(delta.EndWord, Delta.WordsFor(Math.Max(oldLength, delta.NewLength))));
            DeltaMath.MulXor(_backup.Code.Kernel, cut.Words, delta, c);
        }
        return outcome;
    }

    private void OnSnapshot(Connection connection, int p, in Frame frame)
    {
        var r = frame.Reader();
        ulong token = r.U64();
        long seq = r.I64();
        int length = r.Count("length", int.MaxValue - 64);
        ulong[] words = BulkCodec.Read(ref r, Delta.WordsFor(length), _cluster.Config.MaxFrameBytes);
        try
        {
            r.End();
            int count = Delta.WordsFor(length);
            if ((length & 63) != 0 && (words[count - 1] >> (length & 63)) != 0)
                throw new ProtocolException($"Snapshot from primary {p} has bits set past its length {length}.");
            lock (_gate)
            {
                if (token == 0) LoadLocked(connection, p, seq, words.AsSpan(0, count), length);
                else AbsorbIntoCutLocked(p, token, seq, words.AsSpan(0, count));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(words);
        }
    }

    private void LoadLocked(Connection connection, int p, long seq, ReadOnlySpan<ulong> words, int length)
    {
        PrimarySlot slot = _slots[p];
        if (slot.Loaded) throw new ProtocolException($"Primary {p} sent a full snapshot, but this backup already holds its list.");
        _backup.Absorb(p, seq, words, length);
        slot.Loaded = true;
        slot.Serving = true;
        Log.Info($"loaded primary {p} at seq {seq} ({length} bits); {(IsComplete() ? "backup complete" : $"{_slots.Count(s => !s.Loaded)} primaries still missing")}");
        Span<byte> ack = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(ack, seq);
        connection.Send(MessageType.Ack, ack);
    }

    private void AbsorbIntoCutLocked(int p, ulong token, long seq, ReadOnlySpan<ulong> words)
    {
        Cut? cut = _cuts.Find(c => c.Token == token);
        if (cut is null || !cut.Waiting[p]) return; // the cut ended (requester left) before this survivor answered
        if (seq != _backup.Seq(p))
        {
            EndCut(cut);
            Replies.Error(cut.Requester, cut.RequestId, ErrorCode.Conflict,
                $"primary {p}'s snapshot is at seq {seq} but its deltas reached {_backup.Seq(p)} here");
            return;
        }
        cut.EnsureWords(words.Length);
        _backup.Code.Kernel.MulXor(MemoryMarshal.AsBytes(cut.Words.AsSpan()), MemoryMarshal.AsBytes(words), _backup.Coefficient(p));
        cut.Waiting[p] = false;
        if (--cut.Outstanding == 0) FinishCut(cut);
    }

    private void OnServing(Connection connection, int p, in Frame frame)
    {
        var r = frame.Reader();
        long seq = r.I64();
        r.End();
        lock (_gate)
        {
            if (!_slots[p].Loaded) throw new ProtocolException($"Primary {p} declared itself serving to a backup that does not hold it.");
            if (seq != _backup.Seq(p))
                throw new ProtocolException($"Primary {p} resumed at seq {seq}, but this backup holds seq {_backup.Seq(p)}.");
            _slots[p].Serving = true;
        }
        Log.Info($"primary {p} is serving again at seq {seq}");
    }

    private void OnStatus(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.End();
        int n = _slots.Length;
        byte[] reply = new byte[8 + 1 + 4 + n * 22];
        lock (_gate)
        {
            var w = new PayloadWriter(reply);
            w.U64(id);
            w.Bool(IsComplete());
            w.I32(n);
            for (int p = 0; p < n; p++)
            {
                w.I64(_backup.Seq(p));
                w.I32(_backup.Length(p));
                w.Bool(_slots[p].Serving);
                w.Bool(_slots[p].Loaded);
                w.I64(Math.Min(_slots[p].Retained.FirstSeq, _backup.Seq(p) + 1));
            }
        }
        connection.Send(MessageType.StatusReply, reply);
    }

    private void OnRetainedRequest(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int p = r.Count("primary", _slots.Length - 1);
        long from = r.I64(), to = r.I64();
        r.End();
        lock (_gate)
        {
            var items = new List<ReadOnlyMemory<byte>>();
            if (to > _backup.Seq(p) || !_slots[p].Retained.TryGet(from, to, items))
            {
                Replies.Error(connection, id, ErrorCode.Unavailable, $"deltas {from + 1}..{to} of primary {p} are not all held here");
                return;
            }
            int size = 12 + items.Sum(i => 4 + i.Length);
            byte[] reply = new byte[size];
            var w = new PayloadWriter(reply);
            w.U64(id);
            w.I32(items.Count);
            foreach (ReadOnlyMemory<byte> item in items)
            {
                w.I32(item.Length);
                w.Bytes(item.Span);
            }
            connection.Send(MessageType.Retained, reply);
        }
    }

    private void OnForward(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int p = r.Count("primary", _slots.Length - 1);
        ReadOnlySpan<byte> payload = frame.Payload.Span[12..];
        Delta delta = DeltaWire.Read(ref r, _limits.MaxListBits, out long seq, out _);
        r.End();
        lock (_gate)
        {
            if (_slots[p].Serving || !_slots[p].Loaded)
            {
                Replies.Error(connection, id, ErrorCode.Conflict, $"primary {p} is {(_slots[p].Serving ? "serving" : "not held here")}; forwarding its deltas is refused");
                return;
            }
            ApplyOutcome outcome = ApplyLocked(p, seq, delta, payload);
            if (outcome == ApplyOutcome.Gap)
            {
                Replies.Error(connection, id, ErrorCode.Conflict, $"forwarded seq {seq} of primary {p} leaves a gap after {_backup.Seq(p)}");
                return;
            }
            Replies.Ok(connection, id, _backup.Seq(p));
        }
    }

    private void OnResidualRequest(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int t = r.Count("lost count", _slots.Length);
        int[] lost = new int[t];
        for (int i = 0; i < t; i++) lost[i] = r.Count("lost primary", _slots.Length - 1);
        r.End();
        if (lost.Distinct().Count() != t || t == 0)
        {
            Replies.Error(connection, id, ErrorCode.BadRequest, "the lost set must be non-empty and without repeats");
            return;
        }
        lock (_gate)
        {
            if (!IsComplete())
            {
                Replies.Error(connection, id, ErrorCode.NotReady, "this backup is still being re-encoded");
                return;
            }
            for (int p = 0; p < _slots.Length; p++)
            {
                bool isLost = lost.Contains(p);
                if (isLost && _slots[p].Serving)
                {
                    Replies.Error(connection, id, ErrorCode.Conflict, $"primary {p} is serving, not lost");
                    return;
                }
                if (!isLost && (!_slots[p].Serving || _slots[p].Connection is null))
                {
                    Replies.Error(connection, id, ErrorCode.NotReady, $"primary {p} is neither lost nor serving");
                    return;
                }
            }
            var cut = new Cut(id, connection, _nextToken++, lost, _backup.Words, _slots.Length);
            Span<byte> request = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(request, cut.Token);
            _cuts.Add(cut);
            for (int p = 0; p < _slots.Length; p++)
            {
                if (lost.Contains(p)) continue;
                cut.Waiting[p] = true;
                cut.Outstanding++;
                _slots[p].Connection!.Send(MessageType.SnapshotRequest, request);
            }
            if (cut.Outstanding == 0) FinishCut(cut);
        }
    }

    private void FinishCut(Cut cut)
    {
        _cuts.Remove(cut);
        int t = cut.Lost.Length;
        int maxWords = 0;
        // Sized for the most primaries a cluster can have (n + f ≤ 256), never by the request's count.
        Span<byte> head = stackalloc byte[16 + 12 * 256];
        var w = new PayloadWriter(head);
        w.U64(cut.RequestId);
        w.I32(BackupIndex);
        w.I32(t);
        foreach (int l in cut.Lost)
        {
            w.I64(_backup.Seq(l));
            w.I32(_backup.Length(l));
            maxWords = Math.Max(maxWords, Delta.WordsFor(_backup.Length(l)));
        }
        cut.EnsureWords(maxWords);
        BulkCodec.Enqueue(cut.Requester, MessageType.Residual, head[..w.Written], cut.Words.AsSpan(0, maxWords));
        cut.Requester.Flush();
        cut.Release();
    }

    private void EndCut(Cut cut)
    {
        _cuts.Remove(cut);
        cut.Release();
    }

    private bool IsComplete()
    {
        foreach (PrimarySlot s in _slots)
            if (!s.Loaded) return false;
        return true;
    }

    private void ReplyStats(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.End();
        int length, words;
        lock (_gate) (length, words) = (_backup.FusedLength, _backup.WordCount);
        NodeStats.Send(connection, id, length, words, Counters);
    }

    /// <summary>A client's ReadAll: the fused words as a Bits reply (seq 0), so a test can check them against the primaries' lists.</summary>
    private void ReplyFused(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.End();
        int length, count;
        ulong[] words;
        lock (_gate)
        {
            (length, count) = (_backup.FusedLength, _backup.WordCount);
            words = System.Buffers.ArrayPool<ulong>.Shared.Rent(Math.Max(1, count));
            _backup.Words.CopyTo(words);
        }
        Span<byte> head = stackalloc byte[20];
        var w = new PayloadWriter(head);
        w.U64(id);
        w.I32(length);
        w.I64(0);
        BulkCodec.Enqueue(connection, MessageType.Bits, head, words.AsSpan(0, count));
        System.Buffers.ArrayPool<ulong>.Shared.Return(words);
        connection.Flush();
    }

    public void Dispose()
    {
        _server.Dispose();
        lock (_gate)
            foreach (PrimarySlot s in _slots)
                s.Connection?.Close("backup shutting down");
    }
}
