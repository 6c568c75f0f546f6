using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Microsoft.Extensions.ObjectPool;

namespace BitFusion.Net.Fusion;

/// <summary>
/// The primary side of fusion: a bit list that backs itself up to f fused backups, as the socket adapter of a
/// <see cref="PrimaryRole"/>. Every mutation becomes a delta streamed to each backup and completes once every
/// streaming backup acknowledged it and at least <see cref="ClusterConfig.MinAckBackups"/> stream; below that a write
/// fails at once. Opening one rebuilds the list from the backups and the other primaries if the cluster already knew
/// it. Each input (a client request, a backup's frame, a dial result, a timer tick) runs the role under one lock;
/// the effects go out after the lock is released (<see cref="Outbox"/>). Requests that find the window full wait in
/// a queue (up to one window per client; past that the client is answered not done), and nothing ever blocks a thread.
/// Use it in-process as a library, or behind a <see cref="PrimaryNode"/> that serves it to clients.
/// </summary>
public sealed partial class FusedBitList : IDisposable
{
    /// <summary>Clients whose recent writes a replication manager remembers (the fusion role keeps its own table).</summary>
    internal const int DedupClients = 64;

    /// <summary>The client handle of this process's own calls (the library API).</summary>
    private const long Library = 0;

    private const int TickMs = 10;

    /// <summary>The tick while recovering, when a retry's short delay should not wait out a whole period.</summary>
    private const int RecoveringTickMs = 1;
    private const int WaitingLogMs = 2000;

    private readonly Lock _gate = new();
    private readonly PrimaryRole _role;
    private readonly Outbox _outbox = new();
    private readonly BackupLink[] _links;
    private readonly Connection?[] _backups;
    private readonly long[] _backupLinks;

    // The residual arriving from each backup, tied to the connection it arrives on; only that connection's reader writes into it.
    private readonly (Connection? On, InboundList? List)[] _inbound;
    private readonly Dictionary<long, Connection> _clients = [];
    private readonly Dictionary<Connection, long> _clientOf = [];
    private readonly Dictionary<ulong, OpCompletion> _waiters = [];
    private readonly Dictionary<(long Client, ulong Request), Tracked> _tracked = [];
    private readonly Queue<Deferred> _deferred = new();
    private readonly Dictionary<long, int> _queuedBy = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<RecoveryReport> _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ObjectPool<OpCompletion> _completions;
    private readonly ListLimits _limits;
    private readonly Timer _ticker;
    private readonly StallGrace _stalls;
    private readonly RecoveryClock _clock = new();
    private long _nextLink, _nextClient, _closedLinkBytes, _lastWaitingLog;
    private ulong _nextWaiter;
    private bool _disposed, _slowTicks;
    private readonly Diagnostics.NodeGauges.WindowSource _metrics;

    private FusedBitList(Cluster cluster, int nodeId)
    {
        Cluster = cluster;
        NodeId = (ushort)nodeId;
        PrimaryIndex = cluster.PrimaryIndex(nodeId);
        ClusterConfig config = cluster.Config;
        _limits = ListLimits.Chunked(config.MaxFrameBytes, config.MaxListBits);
        _role = new PrimaryRole(new FusionCode(cluster.Primaries.Count, cluster.Faults), PrimaryIndex, config.Window, cluster.MinAckBackups,
            config.SuspectAfterMs, (ushort)Random.Shared.Next(ushort.MaxValue + 1), Environment.TickCount64, new Output(this));
        _links = cluster.Backups.Select((b, j) => new BackupLink(this, j, b)).ToArray();
        _backups = new Connection?[_links.Length];
        _backupLinks = new long[_links.Length];
        _inbound = new (Connection?, InboundList?)[_links.Length];
        _completions = new DefaultObjectPool<OpCompletion>(new DefaultPooledObjectPolicy<OpCompletion>(), config.Window);
        _lastWaitingLog = Environment.TickCount64;
        _stalls = StallGrace.For(config.SuspectAfterMs);
        _ticker = new Timer(static s => ((FusedBitList)s!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
        _metrics = Diagnostics.NodeGauges.AddWindow("fusion", config.Window, () => { lock (_gate) return _role.InFlight; }, () => { lock (_gate) return _role.BackupLag; });
    }

    internal Cluster Cluster { get; }
    internal ushort NodeId { get; }
    internal NetCounters Counters { get; } = new();

    /// <summary>Each write's time from arrival to completion at this primary; guarded by the lock.</summary>
    private Diagnostics.LatencyLog UpdateTimes { get; } = new("fusion");

    /// <summary>This primary's index (0..n-1) in the cluster: its position among the primaries by id.</summary>
    public int PrimaryIndex { get; }

    /// <summary>How the list came up: fresh, or rebuilt, and how long that took.</summary>
    public RecoveryReport? Recovery { get; private set; }

    /// <summary>
    /// The number of bits in the local list (may include writes not yet acknowledged by every backup). Thread-safe.
    /// </summary>
    public long Count
    {
        get
        {
            lock (_gate) return _role.Count;
        }
    }

    /// <summary>The seq of the last write applied to the local list: 1, 2, 3, … within a life. Thread-safe.</summary>
    public long Seq
    {
        get
        {
            lock (_gate) return _role.Seq;
        }
    }

    /// <summary>Backups that acknowledge writes now.</summary>
    public int StreamingBackups
    {
        get
        {
            lock (_gate) return _role.StreamingBackups;
        }
    }

    /// <summary>How many times this primary dropped a backup that went silent.</summary>
    public int Suspicions
    {
        get
        {
            lock (_gate) return _role.Suspicions;
        }
    }

    /// <summary>Bytes this primary has sent to and received from its backups (headers included).</summary>
    public long BackupWireBytes
    {
        get
        {
            lock (_gate)
            {
                long total = _closedLinkBytes;
                foreach (Connection? c in _backups)
                    if (c is not null) total += c.BytesSent + c.BytesReceived;
                return total;
            }
        }
    }

    /// <summary>The update times recorded since the last call, in microseconds.</summary>
    public float[] DrainUpdateTimes()
    {
        lock (_gate) return UpdateTimes.Drain();
    }

    /// <summary>Connects to every backup and recovers this primary's list; returns when it is serving.</summary>
    public static async Task<FusedBitList> OpenAsync(Cluster cluster, int nodeId, CancellationToken cancellation = default)
    {
        var list = new FusedBitList(cluster, nodeId);
        foreach (BackupLink link in list._links) _ = link.RunAsync(list._stop.Token);
        list._ticker.Change(RecoveringTickMs, RecoveringTickMs);
        try
        {
            list.Recovery = await list._recovered.Task.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            list.Dispose();
            throw;
        }
        return list;
    }

    /// <summary>
    /// Appends a bit; completes with the list's new count once every streaming backup holds the write. Fails with
    /// <see cref="InvalidOperationException"/> when the write was not made durable (too few backups: safe to retry) and
    /// <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>. Thread-safe; never blocks.
    /// </summary>
    public ValueTask<long> AppendAsync(bool bit) => SubmitAsync(ListOp.Append, 0, bit);

    /// <summary>
    /// Sets the bit at <paramref name="index"/>; completes with the count once durable, as <see cref="AppendAsync"/>.
    /// An index outside the list fails with <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public ValueTask<long> SetAsync(long index, bool bit) => SubmitAsync(ListOp.Set, index, bit);

    /// <summary>
    /// Inserts a bit at <paramref name="index"/> (0..Count), shifting the bits above it up; completes with the new
    /// count once durable, as <see cref="AppendAsync"/>.
    /// </summary>
    public ValueTask<long> InsertAsync(long index, bool bit) => SubmitAsync(ListOp.Insert, index, bit);

    /// <summary>
    /// Removes the bit at <paramref name="index"/>, shifting the bits above it down; completes with the new count once
    /// durable, as <see cref="AppendAsync"/>.
    /// </summary>
    public ValueTask<long> RemoveAtAsync(long index) => SubmitAsync(ListOp.RemoveAt, index, false);

    /// <summary>
    /// Removes the bit at <paramref name="index"/> by moving the last bit into its place; completes with the new count
    /// once durable, as <see cref="AppendAsync"/>.
    /// </summary>
    public ValueTask<long> SwapRemoveAtAsync(long index) => SubmitAsync(ListOp.SwapRemoveAt, index, false);

    /// <summary>Reads a bit of the local list, which may include writes not yet acknowledged by every backup.</summary>
    public bool Get(long index)
    {
        lock (_gate)
        {
            if ((ulong)index >= (ulong)_role.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for a list of Count {_role.Count}.");
            return ((_role.Words[(int)(index >> 6)] >> (int)(index & 63)) & 1) != 0;
        }
    }

    /// <summary>A copy of the list's words and its length.</summary>
    public (ulong[] Words, long Length) Snapshot()
    {
        lock (_gate) return (_role.Words.ToArray(), _role.Count);
    }

    /// <summary>Whether the list is exactly <paramref name="words"/> and <paramref name="length"/>, compared in place: a check of a list of 10^10 bits without a second copy of it.</summary>
    internal bool ContentEquals(ReadOnlySpan<ulong> words, long length)
    {
        lock (_gate) return _role.Count == length && _role.Words.SequenceEqual(words);
    }

    private ValueTask<long> SubmitAsync(ListOp op, long index, bool bit)
    {
        OpCompletion waiter = _completions.Get();
        waiter.Pool = _completions;
        var request = new Deferred { Client = Library, Type = ToType(op), Op = op, Index = index, Bit = bit, Started = Stopwatch.GetTimestamp() };
        lock (_gate)
        {
            if (_disposed)
            {
                _completions.Return(waiter);
                return ValueTask.FromException<long>(new ObjectDisposedException(nameof(FusedBitList)));
            }
            request.RequestId = ++_nextWaiter;
            _waiters[request.RequestId] = waiter;
            Admit(request, default);
            Pump();
        }
        _outbox.Drain();
        return waiter.Task;
    }

    private static MessageType ToType(ListOp op) => op switch
    {
        ListOp.Append => MessageType.Append,
        ListOp.Set => MessageType.Set,
        ListOp.Insert => MessageType.Insert,
        ListOp.RemoveAt => MessageType.RemoveAt,
        _ => MessageType.SwapRemoveAt,
    };

    internal void ClientOpened(Connection connection)
    {
        lock (_gate)
        {
            long handle = ++_nextClient;
            _clients[handle] = connection;
            _clientOf[connection] = handle;
        }
    }

    internal void ClientClosed(Connection connection)
    {
        lock (_gate)
            if (_clientOf.Remove(connection, out long handle)) _clients.Remove(handle);
    }

    /// <summary>A client's read or write, answered (now or once durable) on its connection.</summary>
    internal void Serve(Connection connection, in ClientRequest request)
    {
        var item = new Deferred
        {
            Type = request.Type, RequestId = request.RequestId, ClientId = request.ClientId, ClientSeq = request.ClientSeq, Resend = request.Resend,
            Op = request.Op, Index = request.Index, Bit = request.Bit, Bits = request.Bits, Started = Stopwatch.GetTimestamp(),
        };
        lock (_gate)
        {
            if (_disposed || !_clientOf.TryGetValue(connection, out long handle)) return;
            item.Client = handle;
            Admit(item, request.Packed);
            Pump();
        }
        _outbox.Drain();
    }

    /// <summary>Runs a request on the role, or queues it behind others while the window is full.</summary>
    private void Admit(Deferred request, ReadOnlySpan<ulong> packed)
    {
        if (_deferred.Count == 0 && !_role.WindowFull)
        {
            Run(request, packed);
            return;
        }
        // Each client may queue one window: a client flooding the primary is refused, the others still queue.
        int queued = _queuedBy.GetValueOrDefault(request.Client);
        if (queued >= Cluster.Config.Window)
        {
            Fail(request.Client, request.RequestId, request.Type == MessageType.Get || request.Type == MessageType.Count || request.Type == MessageType.ReadAll ? ErrorCode.NotReady : ErrorCode.NotDone, "the primary's window and this client's queue are full");
            return;
        }
        _queuedBy[request.Client] = queued + 1;
        if (request.Bits > 0)
        {
            request.Packed = ArrayPool<ulong>.Shared.Rent(packed.Length);
            packed.CopyTo(request.Packed);
        }
        _deferred.Enqueue(request);
    }

    /// <summary>Moves queued requests into the role while its window has room; after every input.</summary>
    private void Pump()
    {
        while (_deferred.Count > 0 && !_role.WindowFull)
        {
            Deferred d = _deferred.Dequeue();
            if (--CollectionsMarshal.GetValueRefOrNullRef(_queuedBy, d.Client) == 0) _queuedBy.Remove(d.Client);
            Run(d, d.Packed is { } p ? p.AsSpan(0, Delta.WordsFor(d.Bits)) : default);
            if (d.Packed is { } rented) ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    private void Run(Deferred r, ReadOnlySpan<ulong> packed)
    {
        // Retries joined to a write in flight leave their first request's entry behind; the table stays bounded.
        if (_tracked.Count > 4 * Cluster.Config.Window)
            foreach (KeyValuePair<(long, ulong), Tracked> e in _tracked)
                if (!e.Value.BulkRead) _tracked.Remove(e.Key);
        switch (r.Type)
        {
            case MessageType.Get or MessageType.Count:
                _tracked[(r.Client, r.RequestId)] = new Tracked(0, Write: false, BulkRead: false);
                _role.Read(r.Client, r.RequestId, r.Type == MessageType.Get ? ReadKind.Get : ReadKind.Count, r.Index);
                return;
            case MessageType.ReadAll:
                if (_clients.TryGetValue(r.Client, out Connection? reader) && !reader.TryBeginBulkRead())
                {
                    Fail(r.Client, r.RequestId, ErrorCode.NotReady, "too many whole-list reads outstanding on this connection");
                    return;
                }
                _tracked[(r.Client, r.RequestId)] = new Tracked(0, Write: false, BulkRead: true);
                _role.Read(r.Client, r.RequestId, ReadKind.All, 0);
                return;
        }
        if (_limits.Refuse(r.Op, _role.Count, r.Bits) is { } tooLarge)
        {
            Fail(r.Client, r.RequestId, ErrorCode.BadRequest, tooLarge);
            return;
        }
        _tracked[(r.Client, r.RequestId)] = new Tracked(r.Started, Write: true, BulkRead: false);
        _role.Write(r.Client, r.RequestId, r.ClientId, r.ClientSeq, r.Resend, new ListMutation(r.Op, r.Index, r.Bit, packed, r.Bits));
    }

    internal void LinkUp(int backup, Connection connection)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _backups[backup] = connection;
            _backupLinks[backup] = ++_nextLink;
            _role.LinkUp(backup, _nextLink, Environment.TickCount64);
            if (!_role.IsServing) _clock.LinkUp();
            Pump();
        }
        _outbox.Drain();
    }

    internal void LinkDown(int backup, Connection connection)
    {
        _outbox.Closed(connection);
        lock (_gate)
        {
            _closedLinkBytes += connection.BytesSent + connection.BytesReceived;
            if (_disposed || _backups[backup] != connection) return;
            long link = _backupLinks[backup];
            _backups[backup] = null;
            _backupLinks[backup] = 0;
            _role.LinkDown(backup, link, Environment.TickCount64);
            Pump();
        }
        _outbox.Drain();
    }

    internal void DialRefused(int backup)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _role.DialRefused(backup, Environment.TickCount64);
            Pump();
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
            if (!_role.IsServing && now - _lastWaitingLog >= WaitingLogMs)
            {
                _lastWaitingLog = now;
                Log.Info($"recovery of primary {PrimaryIndex} waiting: {_role.RecoveryWaiting}");
            }
            Pump();
            if (_role.IsServing && !_slowTicks)
            {
                _slowTicks = true;
                _ticker.Change(TickMs, TickMs);
            }
        }
        _outbox.Drain();
    }

    /// <summary>
    /// Stops the primary: closes its backup connections and fails every write still waiting with
    /// <see cref="ObjectDisposedException"/>. The backups keep the list, so opening the same node again rebuilds it.
    /// </summary>
    public void Dispose()
    {
        _metrics.Dispose();
        _stop.Cancel();
        Connection?[] open;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            // Under the lock, so a tick switching the period never meets a disposed timer.
            _ticker.Dispose();
            open = [.. _backups];
            while (_deferred.TryDequeue(out Deferred d))
                if (d.Packed is { } p) ArrayPool<ulong>.Shared.Return(p);
            foreach (OpCompletion waiter in _waiters.Values) waiter.Fail(new ObjectDisposedException(nameof(FusedBitList)));
            _waiters.Clear();
            _role.Dispose();
        }
        _recovered.TrySetException(new ObjectDisposedException(nameof(FusedBitList)));
        foreach (Connection? c in open) c?.Close("primary shutting down");
    }

    /// <summary>A request kept until its answer: when it arrived, and whether it holds one of its connection's few whole-list reads.</summary>
    private readonly record struct Tracked(long Started, bool Write, bool BulkRead);

    /// <summary>A request as the role takes it, copied out of its frame while it waits for room in the window.</summary>
    private struct Deferred
    {
        public long Client;
        public MessageType Type;
        public ulong RequestId, ClientId, ClientSeq;
        public bool Resend, Bit;
        public ListOp Op;
        public long Index;
        public int Bits;
        public ulong[]? Packed;
        public long Started;
    }
}
