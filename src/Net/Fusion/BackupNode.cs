using System.Buffers;
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
/// A fused backup server: the socket adapter of a <see cref="BackupRole"/>. Each frame from a primary is parsed and
/// validated, handed to the role under one lock, and the effects the role produced are queued on their connections
/// after the lock is released (<see cref="Outbox"/>), so no peer's slow socket holds up another primary's deltas. A
/// timer ticks the role so a silent primary is suspected (and a residual cut stops waiting for it).
/// </summary>
internal sealed class BackupNode : IFrameHandler, IBackupOutput, IDisposable
{
    /// <summary>
    /// The acknowledgement this thread's read batch owes, queued when the batch ends: acknowledgements are cumulative
    /// and only ever late, never wrong, so a batch of deltas from a primary costs it one Ack frame and one pass of its
    /// role, not one per delta. Per thread, as a frame loop handles a batch on one thread; only the acknowledgement of
    /// a delta, on the connection the delta came in on, waits (<see cref="t_deltaOn"/>).
    /// </summary>
    [ThreadStatic]
    private static Connection? t_ackTo;

    [ThreadStatic]
    private static Connection? t_deltaOn;

    [ThreadStatic]
    private static long t_ackSeq;

    private readonly Lock _gate = new();
    private readonly Cluster _cluster;
    private readonly ListLimits _limits;
    private readonly BackupRole _role;
    private readonly Outbox _outbox = new();
    private readonly Dictionary<long, Connection> _links = [];
    private readonly Dictionary<Connection, long> _linkOf = [];

    // Snapshots under way, one per primary's connection; only that connection's reader writes into its list.
    private readonly Dictionary<Connection, InboundList> _inbound = [];
    private readonly FrameServer _server;
    private readonly Timer _ticker;
    private readonly StallGrace _stalls;
    private long _nextLink, _accepting;
    private bool _disposed;

    public BackupNode(Cluster cluster, int nodeId, IPEndPoint? bind = null)
    {
        _cluster = cluster;
        _limits = ListLimits.Chunked(cluster.Config.MaxFrameBytes, cluster.Config.MaxListBits);
        BackupIndex = cluster.BackupIndex(nodeId);
        _role = new BackupRole(new FusionCode(cluster.Primaries.Count, cluster.Faults), BackupIndex, cluster.Config.SuspectAfterMs, this);
        NodeConfig me = cluster.Node(nodeId);
        bind ??= Cluster.BindEndPointOf(me);
        _server = new FrameServer(bind, cluster.Key, new PeerIdentity(NodeRole.Backup, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes, cluster.Config.HeartbeatMs,
            maxHandshakes: cluster.Config.MaxHandshakes, maxQueuedBytes: cluster.Config.MaxSendQueueBytes ?? 0);
        _stalls = StallGrace.For(cluster.Config.SuspectAfterMs);
        _ticker = new Timer(static s => ((BackupNode)s!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public int BackupIndex { get; }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters Counters => _server.Counters;

    /// <summary>The coded state, for in-process inspection (tests, heap accounting); read it only while the node is quiet.</summary>
    public FusedBackup State => _role.State;

    /// <summary>
    /// Raised each time this backup comes to hold every primary again (once they all loaded it after it started, and
    /// after every reset), with the time since it started accepting connections; on the thread that handled the last
    /// snapshot, holding no lock. A restarted backup's re-encode is timed by it, not by polling the backup.
    /// </summary>
    public event Action<TimeSpan>? Reencoded;

    public void Start()
    {
        _accepting = System.Diagnostics.Stopwatch.GetTimestamp();
        _server.Start();
        int period = Math.Max(1, _cluster.Config.HeartbeatMs / 2);
        _ticker.Change(period, period);
    }

    public void OnOpen(Connection connection)
    {
        if (connection.Peer.Role != NodeRole.Primary) return;
        lock (_gate)
        {
            long link = ++_nextLink;
            _links[link] = connection;
            _linkOf[connection] = link;
        }
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
        int n = _cluster.Primaries.Count;
        long maxBits = _limits.MaxListBits;
        switch (frame.Type)
        {
            case MessageType.Attach:
            {
                (long life, long seq, _, bool recovering) = FusionWire.ReadAttach(frame, maxBits);
                Log.Info($"primary {p} attached (life {life:x}, seq {seq}{(recovering ? ", recovering" : "")})");
                lock (_gate) _role.Attach(p, LinkOf(connection), life, seq, recovering);
                break;
            }
            case MessageType.Delta:
            {
                var r = frame.Reader();
                Delta delta = DeltaWire.Read(ref r, maxBits, out long seq, out long watermark);
                r.End();
                t_deltaOn = connection;
                try
                {
                    lock (_gate) _role.Delta(p, LinkOf(connection), seq, watermark, delta);
                }
                finally
                {
                    t_deltaOn = null;
                }
                break;
            }
            case MessageType.Snapshot:
            {
                FusionWire.SnapshotHead s = FusionWire.ReadSnapshot(frame, maxBits, out ChunkCodec.Chunk chunk);
                if (s.Token != 0)
                {
                    CutChunk(connection, p, s, chunk);
                    break;
                }
                if (Inbound(connection, s.Token, chunk) is not { } list) break;
                try
                {
                    FusionWire.CheckTail(list.Span, s.Length, "A Snapshot");
                    bool reencoded;
                    lock (_gate)
                    {
                        bool was = _role.IsComplete;
                        _role.Snapshot(p, LinkOf(connection), s.Token, s.Life, s.Seq, list.Span, s.Length, s.BasisLife, s.BasisSeq);
                        reencoded = !was && _role.IsComplete;
                    }
                    if (reencoded) Reencoded?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(_accepting));
                }
                finally
                {
                    WordBuffers.Return(list.Words);
                }
                if (s.Token == 0) Log.Info($"snapshot of primary {p} at seq {s.Seq} ({s.Length} bits, life {s.Life:x})");
                break;
            }
            case MessageType.Serving:
            {
                (long oldLife, long newLife, long seq) = FusionWire.ReadServing(frame);
                Log.Info($"primary {p} serves again at seq {seq} in life {newLife:x} (from life {oldLife:x})");
                lock (_gate) _role.Serving(p, LinkOf(connection), oldLife, newLife, seq);
                break;
            }
            case MessageType.Reencode:
                FusionWire.ReadEmpty(frame);
                lock (_gate) _role.Reencode(p, LinkOf(connection));
                break;
            case MessageType.Status:
            {
                ulong id = FusionWire.ReadU64(frame);
                lock (_gate) _role.Status(LinkOf(connection), id);
                break;
            }
            case MessageType.RetainedRequest:
            {
                (ulong id, int q, long from, long to) = FusionWire.ReadRetainedRequest(frame, n);
                lock (_gate) _role.RetainedRequest(LinkOf(connection), id, q, from, to);
                break;
            }
            case MessageType.Forward:
            {
                var r = frame.Reader();
                Delta delta = FusionWire.ReadForward(ref r, n, maxBits, out ulong id, out int q, out long life, out long seq);
                lock (_gate) _role.Forward(LinkOf(connection), id, q, life, seq, delta);
                break;
            }
            case MessageType.Adopt:
            {
                (ulong id, int q, long oldLife, long seq, long newLife) = FusionWire.ReadAdopt(frame, n);
                lock (_gate) _role.Adopt(LinkOf(connection), id, q, oldLife, seq, newLife);
                break;
            }
            case MessageType.ResidualRequest:
            {
                (ulong id, int[] lost) = FusionWire.ReadResidualRequest(frame, n);
                lock (_gate) _role.ResidualRequest(LinkOf(connection), id, lost);
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} for a backup.");
        }
        _outbox.Drain();
    }

    /// <summary>
    /// Writes a snapshot chunk into the list arriving on <paramref name="connection"/>, outside the role's lock; the
    /// whole list once its last chunk is in, else null.
    /// </summary>
    private InboundList? Inbound(Connection connection, ulong token, in ChunkCodec.Chunk chunk)
    {
        InboundList list;
        lock (_inbound)
        {
            list = InboundList.For(_inbound.GetValueOrDefault(connection), token, chunk, pooled: true);
            _inbound[connection] = list;
        }
        if (!list.Accept(chunk)) return null;
        lock (_inbound) _inbound.Remove(connection);
        return list;
    }

    /// <summary>
    /// A chunk of a survivor's snapshot for a cut goes straight into the cut, under the lock: the backup holds no
    /// copy of the survivor's list, and the survivor's deltas may arrive between its chunks. Each chunk but the last
    /// is answered with SnapshotProgress, which paces the survivor's stream.
    /// </summary>
    private void CutChunk(Connection connection, int p, in FusionWire.SnapshotHead s, in ChunkCodec.Chunk chunk)
    {
        ulong[]? decoded = null;
        ReadOnlySpan<ulong> words;
        if (chunk.Codec == ChunkCodecKind.Raw)
        {
            words = MemoryMarshal.Cast<byte, ulong>(chunk.Payload);
        }
        else
        {
            decoded = ArrayPool<ulong>.Shared.Rent(Math.Max(1, chunk.Words));
            ChunkCodec.Decode(chunk, decoded.AsSpan(0, chunk.Words));
            words = decoded.AsSpan(0, chunk.Words);
        }
        try
        {
            if (chunk.Offset + chunk.Words == chunk.TotalWords && chunk.Words > 0)
                FusionWire.CheckTail(words[^1..], (s.Length - 1) % 64 + 1, "A Snapshot");
            lock (_gate) _role.CutChunk(p, LinkOf(connection), s.Token, s.Seq, chunk.TotalWords, chunk.Offset, words);
        }
        finally
        {
            if (decoded is not null) ArrayPool<ulong>.Shared.Return(decoded);
        }
        int done = chunk.Offset + chunk.Words;
        if (done == chunk.TotalWords) return;
        // The survivor keeps only a window of its snapshot unacknowledged, so its deltas wait behind little of it.
        Span<byte> progress = stackalloc byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(progress, s.Token);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(progress[8..], done);
        connection.Enqueue(MessageType.SnapshotProgress, progress);
        DeferredFlush.Request(connection);
    }

    public void OnBatchEnd(Connection connection)
    {
        if (t_ackTo is not { } to) return;
        t_ackTo = null;
        SendAck(to, t_ackSeq);
    }

    public void OnClose(Connection connection)
    {
        lock (_inbound) _inbound.Remove(connection);
        lock (_gate)
        {
            if (_disposed || !_linkOf.Remove(connection, out long link)) return;
            _links.Remove(link);
            _role.Disconnected(link);
        }
        _outbox.Drain();
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_disposed) return;
            long now = Environment.TickCount64;
            _stalls.Tick(now);
            _role.Tick(now);
        }
        _outbox.Drain();
    }

    // A connection the role has let go of keeps link 0 until it closes: the role ignores frames on link 0.
    private long LinkOf(Connection connection) => _linkOf.GetValueOrDefault(connection);

    private int PrimaryOf(Connection connection)
    {
        for (int i = 0; i < _cluster.Primaries.Count; i++)
            if (_cluster.Primaries[i].Id == connection.Peer.NodeId) return i;
        throw new ProtocolException($"Node {connection.Peer.NodeId} is not a primary of this cluster.");
    }

    long IBackupOutput.LastHeard(long link) => _links.TryGetValue(link, out Connection? c) ? _stalls.Heard(c.LastHeardMs) : Environment.TickCount64;

    void IBackupOutput.Attached(long link, PrimaryView view, bool complete)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        Span<byte> head = stackalloc byte[FusionWire.AttachedBytes];
        _outbox.Frame(c, MessageType.Attached, head[..FusionWire.WriteAttached(head, view, complete)]);
    }

    void IBackupOutput.Ack(long link, long seq)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        if (c == t_deltaOn)
        {
            (t_ackTo, t_ackSeq) = (c, seq);
            return;
        }
        Span<byte> head = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(head, seq);
        _outbox.Frame(c, MessageType.Ack, head);
    }

    /// <summary>Queues an Ack (holding no lock); it goes with the batch's flush.</summary>
    private static void SendAck(Connection to, long seq)
    {
        Span<byte> head = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(head, seq);
        to.Enqueue(MessageType.Ack, head);
        DeferredFlush.Request(to);
    }

    void IBackupOutput.SnapshotRequest(long link, ulong token)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        Span<byte> head = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(head, token);
        _outbox.Frame(c, MessageType.SnapshotRequest, head);
    }

    void IBackupOutput.Status(long link, ulong requestId, BackupReport report)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        byte[] reply = new byte[FusionWire.StatusReplyBytes(report.Primaries.Length)];
        _outbox.Frame(c, MessageType.StatusReply, reply.AsSpan(0, FusionWire.WriteStatusReply(reply, requestId, report)));
    }

    /// <summary>As many of the deltas as one frame holds; the recoverer asks for the rest next.</summary>
    void IBackupOutput.Retained(long link, ulong requestId, IReadOnlyList<DeltaRecord> deltas)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        int count = FusionWire.RetainedThatFit(deltas, _cluster.Config.MaxFrameBytes);
        long words = 0;
        for (int i = 0; i < count; i++) words += deltas[i].WordCount;
        if (count == 0 && deltas.Count > 0)
        {
            ((IBackupOutput)this).Refused(link, requestId, Refusal.Unavailable, "a retained delta does not fit in one frame");
            return;
        }
        byte[] reply = ArrayPool<byte>.Shared.Rent((int)FusionWire.RetainedBytes(count, words));
        _outbox.Frame(c, MessageType.Retained, reply.AsSpan(0, FusionWire.WriteRetained(reply, requestId, deltas, count)));
        ArrayPool<byte>.Shared.Return(reply);
    }

    void IBackupOutput.Forwarded(long link, ulong requestId, long seq)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        Span<byte> reply = stackalloc byte[16];
        var w = new PayloadWriter(reply);
        w.U64(requestId);
        w.I64(seq);
        _outbox.Frame(c, MessageType.Ok, reply);
    }

    void IBackupOutput.Residual(long link, ulong requestId, ReadOnlySpan<long> seqs, ReadOnlySpan<long> lengths, ulong[] words, int wordCount)
    {
        if (!_links.TryGetValue(link, out Connection? c))
        {
            WordBuffers.Return(words);
            return;
        }
        Span<byte> head = stackalloc byte[FusionWire.ResidualHeadBytes(seqs.Length)];
        int headBytes = FusionWire.WriteResidualHead(head, requestId, BackupIndex, seqs, lengths);
        _outbox.Streamed(c, MessageType.Residual, head[..headBytes], words, wordCount, ChunkCodec.ChunkWords(_cluster.Config.MaxFrameBytes, headBytes));
    }

    void IBackupOutput.Refused(long link, ulong requestId, Refusal why, string message)
    {
        if (!_links.TryGetValue(link, out Connection? c)) return;
        byte[] text = System.Text.Encoding.UTF8.GetBytes(message.Length > 1000 ? message[..1000] : message);
        Span<byte> head = stackalloc byte[11];
        var w = new PayloadWriter(head);
        w.U64(requestId);
        w.U8((byte)FusionWire.ToErrorCode(why));
        w.U16((ushort)text.Length);
        _outbox.Frame(c, MessageType.Error, head, text);
    }

    void IBackupOutput.Close(long link, string reason)
    {
        if (!_links.Remove(link, out Connection? c)) return;
        _linkOf[c] = 0;
        // A warning, as the primary's "dropping backup" is: a link the backup gives up on (suspicion, a replacing
        // connection, a re-encode) is what explains a recovery attempt that fails with its connection reset.
        Log.Warn($"closing the link to {c.Name}: {reason}");
        _outbox.Close(c, reason);
    }

    private void ReplyStats(Connection connection, in Frame frame)
    {
        ulong id = FusionWire.ReadU64(frame);
        long length;
        int words;
        lock (_gate) (length, words) = (_role.State.FusedLength, _role.State.WordCount);
        NodeStats.Send(connection, id, length, words, Counters);
    }

    /// <summary>
    /// A client's ReadAll: the fused words in BitsChunk frames (seq 0), so a test can check them against the
    /// primaries' lists; streamed through the outbox, so the chunks go as the client reads them.
    /// </summary>
    private void ReplyFused(Connection connection, in Frame frame)
    {
        ulong id = FusionWire.ReadU64(frame);
        long length;
        int count;
        ulong[] words;
        lock (_gate)
        {
            FusedBackup state = _role.State;
            (length, count) = (state.FusedLength, state.WordCount);
            words = WordBuffers.Rent(count);
            state.Words.CopyTo(words);
        }
        Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
        int headBytes = BitsChunkWire.WriteHead(head, id, length, 0);
        _outbox.Streamed(connection, MessageType.BitsChunk, head[..headBytes], words, count, ChunkCodec.ChunkWords(_cluster.Config.MaxFrameBytes, headBytes));
        _outbox.Drain();
    }

    public void Dispose()
    {
        _ticker.Dispose();
        _server.Dispose();
        Connection[] open;
        lock (_gate)
        {
            _disposed = true;
            open = [.. _linkOf.Keys];
        }
        foreach (Connection c in open) c.Close("backup shutting down");
        lock (_gate) _role.Dispose();
    }
}
