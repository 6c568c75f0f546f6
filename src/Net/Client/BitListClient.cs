using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using BitFusion.Core.Bits;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Microsoft.Extensions.ObjectPool;

namespace BitFusion.Net.Client;

/// <summary>
/// A pipelined client of one list: a fusion primary, or a group of a replication manager (every request then
/// carries the group number). Any number of requests may be outstanding; replies are matched by request id.
/// Every write carries this client's random <see cref="ClientId"/> and its own seq (1, 2, 3, …), so the server
/// never applies a retried write twice. Every request fails after <see cref="Timeout"/> without an answer — a
/// timer sweeps them, so a server that stopped answering (paused, or waiting on a paused peer) cannot hold a
/// caller forever. With <c>reconnect</c>, a dropped connection is dialed again and every request in flight is sent
/// again, writes under their first seq and marked as resent, so the server answers each with its first result.
/// Write and point-read requests reuse pooled completions, so a steady stream of them allocates nothing.
/// Thread-safe: any thread may issue requests, and answers complete on the connection's or the timer's thread.
/// A failed request throws <see cref="RemoteException"/> (the server refused it: <see cref="RemoteException.Code"/>
/// says whether a write may have been applied), <see cref="TimeoutException"/>, <see cref="IOException"/> (the
/// connection closed) or <see cref="ProtocolException"/> (the server broke the protocol).
/// </summary>
public sealed class BitListClient : IFrameHandler, IDisposable
{
    /// <summary>How long a request waits for its answer unless <c>ConnectAsync</c> is given another timeout: 10 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly EndPoint _endpoint;
    private readonly ClusterKey _key;
    private readonly PeerIdentity _self;
    private readonly PeerIdentity _server;
    private readonly int _maxFrameBytes;
    private readonly long _maxListBits;
    private readonly int? _group;
    private readonly bool _reconnect;
    private readonly long _timeoutTicks;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Request> _pending = [];
    private readonly List<ulong> _expired = [];
    private readonly ObjectPool<OpCompletion> _pool = new DefaultObjectPool<OpCompletion>(new DefaultPooledObjectPolicy<OpCompletion>(), 4096);
    private readonly NetCounters _counters = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Timer _sweeper;
    private Connection _connection;
    private bool _reconnecting;
    private ulong _nextId;
    private ulong _nextSeq;
    private int _sweeping;

    private BitListClient(Connection connection, EndPoint endpoint, ClusterKey key, PeerIdentity self, PeerIdentity server, int? group,
        int maxFrameBytes, long maxListBits, TimeSpan timeout, bool reconnect)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _connection = connection;
        _endpoint = endpoint;
        _key = key;
        _self = self;
        _server = server;
        _group = group;
        _maxFrameBytes = maxFrameBytes;
        _maxListBits = maxListBits;
        _reconnect = reconnect;
        Timeout = timeout;
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        ClientId = DrawClientId();
        TimeSpan sweep = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 8, 5, 250));
        _sweeper = new Timer(static state => ((BitListClient)state!).Expire(), this, sweep, sweep);
    }

    /// <summary>
    /// Connects (retrying until the server answers or <paramref name="cancellation"/> fires). <paramref name="server"/>
    /// is the primary, manager or data node meant, by role and id; the handshake checks both. <paramref name="nodeId"/>
    /// is the handshake's node id; the idempotency <see cref="ClientId"/> is drawn at random.
    /// </summary>
    internal static async Task<BitListClient> ConnectAsync(EndPoint endpoint, ClusterKey key, PeerIdentity server, ushort nodeId,
        int? group = null, int maxFrameBytes = Frame.DefaultMaxFrameBytes, CancellationToken cancellation = default,
        TimeSpan? timeout = null, bool reconnect = false, long maxListBits = ListLimits.MaxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxListBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxListBits, ListLimits.MaxCount);
        if (server.Role == NodeRole.Manager && group is null) throw new ArgumentException("A manager serves groups: give the group number.", nameof(group));
        var self = new PeerIdentity(NodeRole.Client, nodeId);
        Connection connection = await Dialer.ConnectWithRetryAsync(endpoint, key, self, server, maxFrameBytes, cancellation).ConfigureAwait(false);
        var client = new BitListClient(connection, endpoint, key, self, server, server.Role == NodeRole.Manager ? group : null,
            maxFrameBytes, maxListBits, timeout ?? DefaultTimeout, reconnect);
        _ = FrameLoop.RunAsync(connection, client, client._counters, CancellationToken.None);
        return client;
    }

    /// <summary>
    /// Connects to server <paramref name="serverId"/> of <paramref name="servers"/> (a primary, or a manager with the
    /// <paramref name="group"/> every request then names), retrying until it answers or <paramref name="cancellation"/>
    /// fires (<see cref="OperationCanceledException"/>). The handshake proves the client key and checks the server's
    /// role and id. Each request fails after <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>); with
    /// <paramref name="reconnect"/>, a dropped connection is dialed again and requests in flight are sent again.
    /// Throws <see cref="ConfigException"/> when the file names no such server, <see cref="ArgumentException"/> for a
    /// manager without a group, and <see cref="AuthenticationException"/> when the server refuses the key or the role.
    /// </summary>
    public static async Task<BitListClient> ConnectAsync(ClientFile servers, int serverId, int? group = null, TimeSpan? timeout = null,
        bool reconnect = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        NodeConfig server = servers.Servers.FirstOrDefault(n => n.Id == serverId)
            ?? throw new ConfigException($"The client file names no primary or manager with id {serverId}.");
        try
        {
            return await ConnectAsync(Cluster.EndPointOf(server), servers.Key, Cluster.IdentityOf(server), 0, group, servers.MaxFrameBytes,
                cancellation, timeout, reconnect, servers.MaxListBits).ConfigureAwait(false);
        }
        catch (HandshakeRejectedException e)
        {
            throw new AuthenticationException(e.Message, e);
        }
    }

    /// <summary>This client's random nonzero name in every write it sends.</summary>
    public ulong ClientId { get; }

    /// <summary>How long a request waits for its answer before it fails.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The seq of the last write this client numbered (0 before the first).</summary>
    public ulong LastSeq
    {
        get
        {
            lock (_gate) return _nextSeq;
        }
    }

    /// <summary>Connections lost and dialed again since this client connected.</summary>
    public int Reconnects { get; private set; }

    /// <summary>True while the connection is open (with <c>reconnect</c>, false only between a drop and the redial).</summary>
    public bool IsConnected => !_connection.IsClosed;

    /// <summary>Bytes this client has sent on its current connection, frame headers included.</summary>
    public long BytesSent => _connection.BytesSent;

    /// <summary>Bytes this client has received on its current connection, frame headers included.</summary>
    public long BytesReceived => _connection.BytesReceived;

    /// <summary>Appends a bit; completes with the list's new count once the server made the write durable.</summary>
    public ValueTask<long> AppendAsync(bool bit) => Op(new Request { Type = MessageType.Append, Bit = bit });

    /// <summary>Sets the bit at <paramref name="index"/>; completes with the list's count. An index out of range fails with <see cref="RemoteException"/>.</summary>
    public ValueTask<long> SetAsync(long index, bool bit) => Op(new Request { Type = MessageType.Set, Index = index, Bit = bit });

    /// <summary>Inserts a bit at <paramref name="index"/> (0..count), shifting the bits above it up; completes with the new count.</summary>
    public ValueTask<long> InsertAsync(long index, bool bit) => Op(new Request { Type = MessageType.Insert, Index = index, Bit = bit });

    /// <summary>Removes the bit at <paramref name="index"/>, shifting the bits above it down; completes with the new count.</summary>
    public ValueTask<long> RemoveAtAsync(long index) => Op(new Request { Type = MessageType.RemoveAt, Index = index });

    /// <summary>Removes the bit at <paramref name="index"/> by moving the last bit into its place; completes with the new count.</summary>
    public ValueTask<long> SwapRemoveAtAsync(long index) => Op(new Request { Type = MessageType.SwapRemoveAt, Index = index });

    /// <summary>Reads the bit at <paramref name="index"/> from the server.</summary>
    public async ValueTask<bool> GetAsync(long index) => await Op(new Request { Type = MessageType.Get, Index = index }).ConfigureAwait(false) != 0;

    /// <summary>Reads the list's count from the server.</summary>
    public ValueTask<long> CountAsync() => Op(new Request { Type = MessageType.Count });

    /// <summary>Appends a run of bits as one write; the words are copied, so the caller may reuse them at once.</summary>
    public ValueTask<long> AppendManyAsync(ReadOnlySpan<ulong> packed, int bits)
    {
        if (bits < 1 || Delta.WordsFor(bits) > packed.Length) throw new ArgumentException($"{bits} bits need {Delta.WordsFor(bits)} words.", nameof(bits));
        ulong[] words = ArrayPool<ulong>.Shared.Rent(Delta.WordsFor(bits));
        packed[..Delta.WordsFor(bits)].CopyTo(words);
        return Op(new Request { Type = MessageType.AppendMany, Bits = bits, Words = words });
    }

    /// <summary>Reads the whole list: a copy of its words, its length and the seq it reflects.</summary>
    public Task<BitsResult> ReadAllAsync()
    {
        var result = new TaskCompletionSource<BitsResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Issue(new Request { Type = MessageType.ReadAll, Read = result });
        return result.Task;
    }

    /// <summary>The server-side update times (µs) recorded since the last call: at a primary or a manager.</summary>
    public Task<float[]> SamplesAsync() => SampleRequestAsync(MessageType.Samples);

    /// <summary>
    /// A manager's record of this group's rejoins since the last call: each one's pause in µs, from the view that
    /// admitted a restarted data node until it served with its transferred state.
    /// </summary>
    public Task<float[]> RejoinTimesAsync()
    {
        if (_group is null) throw new InvalidOperationException("Rejoin times are kept by a manager, per group.");
        return SampleRequestAsync(MessageType.RejoinTimes);
    }

    private Task<float[]> SampleRequestAsync(MessageType type)
    {
        var result = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Issue(new Request { Type = type, Samples = result });
        return result.Task;
    }

    private ValueTask<long> Op(Request request)
    {
        OpCompletion waiter = _pool.Get();
        waiter.Pool = _pool;
        waiter.Inline = true;
        request.Op = waiter;
        Issue(request);
        return waiter.Task;
    }

    /// <summary>
    /// Numbers the request, registers it with its deadline and enqueues it, all under the lock, so writes reach the
    /// wire in seq order. While a reconnect is under way it only registers: the reconnect sends it.
    /// </summary>
    private void Issue(Request request)
    {
        Connection? connection;
        bool closed;
        lock (_gate)
        {
            ulong id = ++_nextId;
            if (ClientRequestCodec.IsWrite(request.Type)) request.Seq = ++_nextSeq;
            request.Deadline = Stopwatch.GetTimestamp() + _timeoutTicks;
            closed = _stop.IsCancellationRequested || (_connection.IsClosed && !_reconnect);
            connection = closed || _reconnecting ? null : _connection;
            if (connection is not null)
            {
                Send(connection, id, request);
                request.Sent = true;
            }
            if (!closed) _pending[id] = request;
        }
        if (closed)
        {
            Fail(request, new IOException($"connection to {_connection.Name} is closed{Unsure(request)}"));
            return;
        }
        // Deferred: a caller continuing inline from a reply (a pipelined driver) batches its next requests into one send.
        if (connection is not null) DeferredFlush.Request(connection);
    }

    private void Send(Connection connection, ulong id, in Request request) =>
        ClientRequestCodec.Enqueue(connection, new ClientRequest
        {
            Type = request.Type, RequestId = id, Group = _group ?? -1, ClientId = ClientId, ClientSeq = request.Seq, Resend = request.Sent,
            Index = request.Index, Bit = request.Bit, Bits = request.Bits, Packed = request.Words,
        }, grouped: _group is not null);

    void IFrameHandler.OnOpen(Connection connection)
    {
    }

    void IFrameHandler.OnFrame(Connection connection, in Frame frame)
    {
        if (frame.Type == MessageType.BitsChunk)
        {
            OnBitsChunk(connection, frame);
            return;
        }
        var r = frame.Reader();
        ulong id = r.U64();
        Request request;
        lock (_gate)
        {
            // A late answer to a request that timed out, or one already answered before a reconnect sent it again.
            if (connection != _connection || !_pending.Remove(id, out request)) return;
        }
        switch (frame.Type)
        {
            case MessageType.Ok or MessageType.Applied when request.Op is { } op:
            {
                long value = r.I64();
                if (frame.Type == MessageType.Applied) r.I64();
                r.End();
                Release(request);
                op.Complete(value);
                break;
            }
            case MessageType.Error:
            {
                var (_, code, message) = Replies.ReadError(frame.Payload.Span);
                Fail(request, new RemoteException(code, message));
                break;
            }
            case MessageType.Bits when request.Read is { } read:
            {
                long length = r.Length("length", _maxListBits);
                long seq = r.I64();
                int words = Delta.WordsFor(length);
                ulong[] pooled = BulkCodec.Read(ref r, words, int.MaxValue);
                r.End();
                ulong[] copy = pooled.AsSpan(0, words).ToArray();
                ArrayPool<ulong>.Shared.Return(pooled);
                read.TrySetResult(new BitsResult(copy, length, seq));
                break;
            }
            case MessageType.SamplesReply when request.Samples is { } samples:
                samples.TrySetResult(SampleReply.Read(frame.Payload.Span));
                break;
            default:
                Fail(request, new ProtocolException($"request {id} ({request.Type}) was answered with frame type {(byte)frame.Type}"));
                throw new ProtocolException($"Unexpected frame type {(byte)frame.Type} for request {id} ({request.Type}).");
        }
    }

    /// <summary>A chunk of a ReadAll answer, decoded straight into the array the caller receives; the request ends with its last chunk.</summary>
    private void OnBitsChunk(Connection connection, in Frame frame)
    {
        (ulong id, long length, long seq) = BitsChunkWire.Read(frame, _maxListBits, out ChunkCodec.Chunk chunk);
        InboundList list;
        lock (_gate)
        {
            if (connection != _connection) return;
            ref Request request = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_pending, id);
            // A late answer to a request that timed out.
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref request)) return;
            if (request.Read is null) throw new ProtocolException($"Request {id} ({request.Type}) was answered with a list.");
            list = request.Inbound = InboundList.For(request.Inbound, id, chunk);
        }
        if (!list.Accept(chunk)) return;
        FusionWire.CheckTail(list.Words, length, "A ReadAll answer");
        Request done;
        lock (_gate)
            if (connection != _connection || !_pending.Remove(id, out done)) return;
        done.Read!.TrySetResult(new BitsResult(list.Words, length, seq));
    }

    void IFrameHandler.OnClose(Connection connection)
    {
        lock (_gate)
        {
            if (connection != _connection) return;
            if (_reconnect && !_stop.IsCancellationRequested)
            {
                _reconnecting = true;
                _ = ReconnectAsync();
                return;
            }
        }
        FailAll(_ => new IOException($"connection to {connection.Name} closed: {connection.CloseReason}"));
    }

    /// <summary>Dials until the server answers again (requests time out meanwhile), then sends every request still waiting, in order.</summary>
    private async Task ReconnectAsync()
    {
        Connection fresh;
        while (true)
        {
            try
            {
                fresh = await Dialer.ConnectWithRetryAsync(_endpoint, _key, _self, _server, _maxFrameBytes, _stop.Token).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HandshakeRejectedException e)
            {
                FailAll(_ => new IOException($"reconnecting to {_endpoint} was refused: {e.Message}", e));
                return;
            }
            catch (IOException)
            {
                // The server went away again mid-handshake: dial again.
            }
        }
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                fresh.Close("client closed");
                return;
            }
            _connection = fresh;
            _reconnecting = false;
            Reconnects++;
            ulong[] ids = [.. _pending.Keys];
            Array.Sort(ids);
            foreach (ulong id in ids)
            {
                ref Request request = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_pending, id);
                Send(fresh, id, request);
                request.Sent = true;
                // A list cut short by the drop is sent again from its first word.
                request.Inbound = null;
            }
        }
        fresh.Flush();
        _ = FrameLoop.RunAsync(fresh, this, _counters, CancellationToken.None);
    }

    /// <summary>The timer: fails every request past its deadline.</summary>
    private void Expire()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1) return;
        try
        {
            ExpireOverdue();
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private void ExpireOverdue()
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _expired.Clear();
            foreach ((ulong id, Request request) in _pending)
                if (request.Deadline <= now) _expired.Add(id);
        }
        foreach (ulong id in _expired)
        {
            Request request;
            lock (_gate)
                if (!_pending.Remove(id, out request)) continue;
            Fail(request, new TimeoutException(
                $"no answer to {request.Type}{(request.Seq != 0 ? $" (write {request.Seq})" : "")} from {_endpoint} within {Timeout.TotalSeconds:0.###} s{Unsure(request)}"));
        }
    }

    private static string Unsure(in Request request) =>
        request.Sent && request.Seq != 0 ? "; the write may or may not have been applied (outcome unknown)" : "";

    private void FailAll(Func<Request, Exception> error)
    {
        Request[] all;
        lock (_gate)
        {
            all = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (Request request in all) Fail(request, error(request));
    }

    private static void Fail(Request request, Exception error)
    {
        Release(request);
        request.Op?.Fail(error);
        request.Read?.TrySetException(error);
        request.Samples?.TrySetException(error);
    }

    private static void Release(Request request)
    {
        if (request.Words is { } words) ArrayPool<ulong>.Shared.Return(words);
    }

    private static ulong DrawClientId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        } while (id == 0);
        return id;
    }

    /// <summary>Closes the connection and fails every request still waiting with <see cref="IOException"/>.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _sweeper.Dispose();
        _connection.Close("client closed");
        FailAll(request => new IOException($"client closed{Unsure(request)}"));
    }

    /// <summary>One request until its answer: what to send again after a reconnect, and whom to tell.</summary>
    private struct Request
    {
        public MessageType Type;
        public long Index;
        public bool Bit;
        public int Bits;
        public ulong[]? Words;

        /// <summary>The write's client seq (0 for a read).</summary>
        public ulong Seq;

        /// <summary>Handed to a connection at least once: sent again, a write is marked as a resend.</summary>
        public bool Sent;
        public long Deadline;
        public OpCompletion? Op;
        public TaskCompletionSource<BitsResult>? Read;

        /// <summary>A ReadAll answer arriving in chunks on the current connection.</summary>
        public InboundList? Inbound;
        public TaskCompletionSource<float[]>? Samples;
    }
}
