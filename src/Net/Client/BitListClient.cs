using System.Buffers.Binary;
using System.Net;
using BitFusion.Core.Bits;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using Microsoft.Extensions.ObjectPool;

namespace BitFusion.Net.Client;

/// <summary>
/// A pipelined client of one list: a fusion primary, or a group of a replication manager (every request then
/// carries the group number). Any number of requests may be outstanding; replies are matched by request id.
/// Write and point-read requests reuse pooled completions, so a steady stream of them allocates nothing.
/// </summary>
public sealed class BitListClient : IFrameHandler, IDisposable
{
    private readonly Connection _connection;
    private readonly int? _group;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, OpCompletion> _pending = [];
    private readonly Dictionary<ulong, TaskCompletionSource<BitsResult>> _reads = [];
    private readonly Dictionary<ulong, TaskCompletionSource<float[]>> _samples = [];
    private readonly ObjectPool<OpCompletion> _pool = new DefaultObjectPool<OpCompletion>(new DefaultPooledObjectPolicy<OpCompletion>(), 4096);
    private readonly NetCounters _counters = new();
    private ulong _nextId;

    private BitListClient(Connection connection, int? group)
    {
        _connection = connection;
        _group = group;
    }

    /// <param name="server">The primary, manager or data node meant, by role and id; the handshake checks both.</param>
    public static async Task<BitListClient> ConnectAsync(EndPoint endpoint, ClusterKey key, PeerIdentity server, ushort clientId,
        int? group = null, int maxFrameBytes = Frame.DefaultMaxFrameBytes, CancellationToken cancellation = default)
    {
        if (server.Role == NodeRole.Manager && group is null) throw new ArgumentException("A manager serves groups: give the group number.", nameof(group));
        Connection connection = await Dialer.ConnectWithRetryAsync(endpoint, key, new PeerIdentity(NodeRole.Client, clientId), server, maxFrameBytes, cancellation).ConfigureAwait(false);
        var client = new BitListClient(connection, server.Role == NodeRole.Manager ? group : null);
        _ = FrameLoop.RunAsync(connection, client, client._counters, CancellationToken.None);
        return client;
    }

    public bool IsConnected => !_connection.IsClosed;

    public long BytesSent => _connection.BytesSent;

    public long BytesReceived => _connection.BytesReceived;

    public ValueTask<long> AppendAsync(bool bit) => Write(MessageType.Append, null, bit);
    public ValueTask<long> SetAsync(int index, bool bit) => Write(MessageType.Set, index, bit);
    public ValueTask<long> InsertAsync(int index, bool bit) => Write(MessageType.Insert, index, bit);
    public ValueTask<long> RemoveAtAsync(int index) => Write(MessageType.RemoveAt, index, null);
    public ValueTask<long> SwapRemoveAtAsync(int index) => Write(MessageType.SwapRemoveAt, index, null);
    public async ValueTask<bool> GetAsync(int index) => await Write(MessageType.Get, index, null).ConfigureAwait(false) != 0;
    public async ValueTask<int> CountAsync() => (int)await Write(MessageType.Count, null, null).ConfigureAwait(false);

    public ValueTask<long> AppendManyAsync(ReadOnlySpan<ulong> packed, int bits)
    {
        if (bits < 1 || Delta.WordsFor(bits) > packed.Length) throw new ArgumentException($"{bits} bits need {Delta.WordsFor(bits)} words.", nameof(bits));
        (ulong id, OpCompletion waiter) = Register();
        Span<byte> head = stackalloc byte[16];
        int n = Head(head, id);
        BinaryPrimitives.WriteInt32LittleEndian(head[n..], bits);
        _connection.Send(MessageType.AppendMany, head[..(n + 4)], System.Runtime.InteropServices.MemoryMarshal.AsBytes(packed[..Delta.WordsFor(bits)]));
        if (_connection.IsClosed) FailAll(new IOException($"connection to {_connection.Name} is closed"));
        return waiter.Task;
    }

    public Task<BitsResult> ReadAllAsync()
    {
        var result = new TaskCompletionSource<BitsResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ulong id;
        lock (_gate)
        {
            id = ++_nextId;
            _reads[id] = result;
        }
        Span<byte> head = stackalloc byte[12];
        _connection.Send(MessageType.ReadAll, head[..Head(head, id)]);
        if (_connection.IsClosed) FailAll(new IOException($"connection to {_connection.Name} is closed"));
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
        ulong id;
        lock (_gate)
        {
            id = ++_nextId;
            _samples[id] = result;
        }
        Span<byte> head = stackalloc byte[12];
        _connection.Send(type, head[..Head(head, id)]);
        if (_connection.IsClosed) FailAll(new IOException($"connection to {_connection.Name} is closed"));
        return result.Task;
    }

    private ValueTask<long> Write(MessageType type, int? index, bool? bit)
    {
        (ulong id, OpCompletion waiter) = Register();
        Span<byte> payload = stackalloc byte[17];
        int n = Head(payload, id);
        if (index is { } i)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload[n..], i);
            n += 4;
        }
        if (bit is { } b) payload[n++] = b ? (byte)1 : (byte)0;
        // Deferred: a caller continuing inline from a reply (a pipelined driver) batches its next requests into one send.
        _connection.Enqueue(type, payload[..n]);
        DeferredFlush.Request(_connection);
        if (_connection.IsClosed) FailAll(new IOException($"connection to {_connection.Name} is closed"));
        return waiter.Task;
    }

    private (ulong, OpCompletion) Register()
    {
        OpCompletion waiter = _pool.Get();
        waiter.Pool = _pool;
        waiter.Inline = true;
        lock (_gate)
        {
            ulong id = ++_nextId;
            _pending[id] = waiter;
            return (id, waiter);
        }
    }

    private int Head(Span<byte> payload, ulong id)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, id);
        if (_group is not { } g) return 8;
        BinaryPrimitives.WriteInt32LittleEndian(payload[8..], g);
        return 12;
    }

    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        switch (frame.Type)
        {
            case MessageType.Ok or MessageType.Applied:
            {
                ulong id = r.U64();
                long value = r.I64();
                if (frame.Type == MessageType.Applied) r.I64();
                r.End();
                Take(id).Complete(value);
                break;
            }
            case MessageType.Error:
            {
                var (id, code, message) = Replies.ReadError(frame.Payload.Span);
                Exception error = new RemoteException(code, message);
                lock (_gate)
                {
                    if (_reads.Remove(id, out TaskCompletionSource<BitsResult>? read))
                    {
                        read.TrySetException(error);
                        return;
                    }
                    if (_samples.Remove(id, out TaskCompletionSource<float[]>? sample))
                    {
                        sample.TrySetException(error);
                        return;
                    }
                }
                Take(id).Fail(error);
                break;
            }
            case MessageType.Bits:
            {
                ulong id = r.U64();
                int length = r.Count("length", int.MaxValue - 64);
                long seq = r.I64();
                int words = Delta.WordsFor(length);
                ulong[] pooled = BulkCodec.Read(ref r, words, int.MaxValue);
                r.End();
                ulong[] copy = pooled.AsSpan(0, words).ToArray();
                System.Buffers.ArrayPool<ulong>.Shared.Return(pooled);
                TaskCompletionSource<BitsResult>? read;
                lock (_gate)
                    if (!_reads.Remove(id, out read)) throw new ProtocolException($"Bits for unknown request {id}.");
                read.TrySetResult(new BitsResult(copy, length, seq));
                break;
            }
            case MessageType.SamplesReply:
            {
                ulong id = r.U64();
                float[] micros = SampleReply.Read(frame.Payload.Span);
                TaskCompletionSource<float[]>? samples;
                lock (_gate)
                    if (!_samples.Remove(id, out samples)) throw new ProtocolException($"Samples for unknown request {id}.");
                samples.TrySetResult(micros);
                break;
            }
            default:
                throw new ProtocolException($"Unexpected frame type {(byte)frame.Type} from the server.");
        }
    }

    private OpCompletion Take(ulong id)
    {
        lock (_gate)
            if (_pending.Remove(id, out OpCompletion? waiter)) return waiter;
        throw new ProtocolException($"Reply to unknown request {id}.");
    }

    public void OnClose(Connection connection) => FailAll(new IOException($"connection to {connection.Name} closed: {connection.CloseReason}"));

    private void FailAll(Exception error)
    {
        OpCompletion[] waiters;
        TaskCompletionSource<BitsResult>[] reads;
        TaskCompletionSource<float[]>[] samples;
        lock (_gate)
        {
            waiters = [.. _pending.Values];
            reads = [.. _reads.Values];
            samples = [.. _samples.Values];
            _pending.Clear();
            _reads.Clear();
            _samples.Clear();
        }
        foreach (OpCompletion w in waiters) w.Fail(error);
        foreach (var r in reads) r.TrySetException(error);
        foreach (var s in samples) s.TrySetException(error);
    }

    public void Dispose() => _connection.Close("client closed");
}
