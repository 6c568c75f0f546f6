using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// A framed, pipelined TCP connection over pooled buffers. Reads are async and return frames that live in the
/// receive buffer until the next read; the buffer grows only as bytes arrive, never to a length a peer merely
/// declares. Writes are appended to a pooled send queue under a short lock; <see cref="Flush"/> hands the queue to
/// a non-blocking send that drains it, so no thread ever waits on a slow reader. A peer that lets more than
/// <see cref="MaxQueuedBytes"/> pile up is disconnected. Until <see cref="Open"/> (after the handshake) only
/// handshake-sized frames are accepted. In TLS mode the same framing and batching run over an <see cref="SslStream"/>
/// on the socket; the plain path uses the socket directly.
/// </summary>
internal sealed class Connection : IDisposable
{
    /// <summary>The longest handshake frame: a Reject with a reason of 65,535 bytes (type, code, length, text).</summary>
    public const int HandshakeMaxFrameBytes = 1 + 3 + ushort.MaxValue;

    // Small while unauthenticated, so a flood of handshakes costs little; a steady-state read takes up to 64 KiB.
    private const int HandshakeBuffer = 4 << 10;
    private const int SteadyBuffer = 64 << 10;
    private const int KeepLargeBuffer = 1 << 20;
    /// <summary>Whole-list reads a connection may have waiting at once; past that they are refused (not ready).</summary>
    internal const int MaxBulkReads = 4;

    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly int _maxFrameBytes;
    private readonly Lock _gate = new();
    private readonly SocketAsyncEventArgs _sendArgs = new();
    private int _receiveLimit;
    private byte[] _rx;
    private int _rxStart, _rxEnd;
    private byte[] _tx, _txSpare;
    private int _txLength, _inFlight;
    private bool _sending, _overflowed;
    // Where the frame or batch that later batched frames may join starts in _tx (-1: the tail is no such frame), and
    // whether it is already a batch. Only on a link that batches (Open) and until anything else is queued behind it.
    private int _run = -1;
    // Where the last frame of that run starts (the run itself unless it is a batch): a run frame may grow in place.
    private int _runLast;
    private bool _runIsBatch, _batches;
    private long _drainMark;
    private Action<object?>? _drained;
    private object? _drainedState;
    private int _closed, _bulkReads;
    private long _lastReceivedMs = Environment.TickCount64;
    private long _lastSentMs = Environment.TickCount64;
    private static long s_totalBytesSent;
    private static long s_totalFramesSent;
    private static long s_totalFramesBatched;
    private static long s_totalBytesReceived;
    private static long s_totalFramesReceived;

    public Connection(Socket socket, string name, int maxFrameBytes = Frame.DefaultMaxFrameBytes, long maxQueuedBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 64);
        _socket = socket;
        _socket.NoDelay = true;
        _maxFrameBytes = maxFrameBytes;
        _receiveLimit = Math.Min(maxFrameBytes, HandshakeMaxFrameBytes);
        MaxQueuedBytes = maxQueuedBytes > 0 ? maxQueuedBytes : DefaultMaxQueuedBytes(maxFrameBytes);
        Name = name;
        _rx = ArrayPool<byte>.Shared.Rent(HandshakeBuffer);
        _tx = ArrayPool<byte>.Shared.Rent(HandshakeBuffer);
        _txSpare = ArrayPool<byte>.Shared.Rent(HandshakeBuffer);
        _sendArgs.Completed += (_, args) => OnSendCompleted(args);
    }

    /// <summary>A connection whose bytes pass through <paramref name="tls"/>, opened on <paramref name="socket"/>.</summary>
    internal Connection(Socket socket, SslStream tls, PeerIdentity certified, string name, int maxFrameBytes, long maxQueuedBytes = 0)
        : this(socket, name, maxFrameBytes, maxQueuedBytes)
    {
        _tls = tls;
        Certified = certified;
    }

    /// <summary>Room for one largest frame plus 8 MiB of small replies behind it.</summary>
    public static long DefaultMaxQueuedBytes(int maxFrameBytes) => maxFrameBytes + (8L << 20);

    /// <summary>Who is on the other end, for logs: e.g. "backup 1 @ 127.0.0.1:7001".</summary>
    public string Name { get; set; }

    public PeerIdentity Peer { get; internal set; }

    /// <summary>In TLS mode, the identity the peer's certificate is issued for; the handshake requires the peer to claim exactly it.</summary>
    public PeerIdentity? Certified { get; }

    /// <summary>Bytes counted by <see cref="BytesSent"/> and <see cref="BytesReceived"/> are plaintext frames in TLS mode.</summary>
    public bool IsTls => _tls is not null;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public string? CloseReason { get; private set; }

    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>Queued bytes (not yet taken by the socket) beyond which the peer counts as too slow and is disconnected.</summary>
    public long MaxQueuedBytes { get; }

    /// <summary>Bytes queued and not yet taken by the socket.</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_gate) return (long)_txLength + _inFlight;
        }
    }

    /// <summary>
    /// Arranges for <paramref name="callback"/> to run once, on a pool thread, when the bytes queued fall to
    /// <paramref name="mark"/> or the connection closes: a sender of a long list queues its next chunks then instead
    /// of waiting. False (and nothing arranged) when the queue is already that short or the connection closed. One
    /// waiter at a time.
    /// </summary>
    public bool WhenDrained(long mark, Action<object?> callback, object? state)
    {
        lock (_gate)
        {
            if (IsClosed || (long)_txLength + _inFlight <= mark) return false;
            if (_drained is not null) throw new InvalidOperationException($"{Name} already has a sender waiting for its queue to drain.");
            (_drainMark, _drained, _drainedState) = (mark, callback, state);
            return true;
        }
    }

    /// <summary>Where a slow-consumer disconnect is counted; a server sets it on the connections it accepts.</summary>
    internal NetCounters? Counters { get; set; }

    /// <summary>
    /// When bytes last arrived (<see cref="Environment.TickCount64"/>, ms): with heartbeats on idle links, a peer
    /// silent for longer than the suspicion timeout is paused, stalled or behind a half-open connection.
    /// </summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    /// <summary>
    /// When the peer was last heard, for suspicion: <see cref="LastReceivedMs"/>, or now while bytes from the peer
    /// wait in the socket for this connection's reader. A reader that is applying a long frame (a list copied under
    /// a lock, a whole chunk folded in) or that the collector paused reads nothing, so its heartbeats sit in the
    /// kernel and <see cref="LastReceivedMs"/> goes stale though the peer spoke: that silence is this process's, not
    /// the peer's. A reader waiting on the socket takes every byte as it arrives, so for it both are the same.
    /// </summary>
    public long LastHeardMs
    {
        get
        {
            long received = LastReceivedMs;
            long now = Environment.TickCount64;
            if (now == received || IsClosed) return received;
            try
            {
                return _socket.Available > 0 ? now : received;
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return received;
            }
        }
    }

    /// <summary>When a frame was last enqueued to this peer, so heartbeats go only on links that are otherwise idle.</summary>
    public long LastSentMs => Volatile.Read(ref _lastSentMs);

    /// <summary>Bytes sent by every connection of this process: what crossed the wire, for per-update and per-recovery figures.</summary>
    public static long TotalBytesSent => Interlocked.Read(ref s_totalBytesSent);

    /// <summary>Frames (messages) enqueued by every connection of this process, each frame inside a batch and each item of a run (<see cref="EnqueueRun"/>) counted.</summary>
    public static long TotalFramesSent => Interlocked.Read(ref s_totalFramesSent);

    /// <summary>
    /// Frames of <see cref="TotalFramesSent"/> that joined a batch begun by an earlier one (<see cref="EnqueueBatched"/>)
    /// or a run (<see cref="EnqueueRun"/>), so the frames that crossed the wire are <c>TotalFramesSent - TotalFramesBatched</c>.
    /// </summary>
    public static long TotalFramesBatched => Interlocked.Read(ref s_totalFramesBatched);

    /// <summary>Bytes received by every connection of this process.</summary>
    public static long TotalBytesReceived => Interlocked.Read(ref s_totalBytesReceived);

    /// <summary>Frames every connection of this process has handed to its reader (heartbeats are skipped, not counted).</summary>
    public static long TotalFramesReceived => Interlocked.Read(ref s_totalFramesReceived);

    /// <summary>Raised once, when the connection closes for any reason.</summary>
    public event Action<Connection>? Closed;

    /// <summary>True when a whole frame is already buffered, so the next read will not wait for the socket.</summary>
    public bool HasBufferedFrame
    {
        get
        {
            int available = _rxEnd - _rxStart;
            // A buffered heartbeat does not count: the read skips it and may then wait on the socket.
            return available >= 5 && available >= 4 + (long)BinaryPrimitives.ReadUInt32LittleEndian(_rx.AsSpan(_rxStart))
                && _rx[_rxStart + 4] != (byte)MessageType.Heartbeat;
        }
    }

    /// <summary>
    /// Lifts the receive limit from handshake size to the configured frame limit, once the peer is authenticated.
    /// With <paramref name="batches"/> (<see cref="RoleTable.Batches"/>) this link sends and accepts
    /// <see cref="MessageType.Batch"/> frames. Call from the reading thread, between reads.
    /// </summary>
    public void Open(bool batches = false)
    {
        _receiveLimit = _maxFrameBytes;
        _batches = batches;
        if (_rx.Length < SteadyBuffer && _rx.Length > 0) ResizeReceive(SteadyBuffer, _rxEnd - _rxStart);
    }

    /// <summary>Reads the next frame, skipping heartbeats; <see cref="Frame.IsEnd"/> when the peer closed cleanly between frames.</summary>
    // Pooled state machines: a read that waits for the socket would otherwise allocate one per frame.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Frame> ReadAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            int available = _rxEnd - _rxStart;
            if (available == 0)
            {
                _rxStart = _rxEnd = 0;
                if (_rx.Length > KeepLargeBuffer) ResizeReceive(SteadyBuffer, 0);
            }
            if (available >= 4)
            {
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rx.AsSpan(_rxStart));
                if (length == 0 || length > (uint)_receiveLimit)
                    throw new ProtocolException(_receiveLimit < _maxFrameBytes
                        ? $"Frame length {length} is outside 1..{_receiveLimit} before the handshake completed."
                        : $"Frame length {length} is outside 1..{_receiveLimit}.");
                int total = 4 + (int)length;
                if (available >= total)
                {
                    // Heartbeats only refresh LastReceivedMs; no reader (frame loop, probe, transfer) ever sees one.
                    if ((MessageType)_rx[_rxStart + 4] == MessageType.Heartbeat)
                    {
                        if (length != 1) throw new ProtocolException($"A heartbeat carries no payload; this one has {length - 1} bytes.");
                        _rxStart += total;
                        continue;
                    }
                    // A batch is checked whole, then its frames are read one by one where they lie.
                    if ((MessageType)_rx[_rxStart + 4] == MessageType.Batch)
                    {
                        if (!_batches) throw new ProtocolException("A batch frame on a link that does not batch.");
                        FrameBatch.Check(_rx.AsSpan(_rxStart + Frame.HeaderSize, total - Frame.HeaderSize));
                        _rxStart += Frame.HeaderSize;
                        continue;
                    }
                    var frame = new Frame((MessageType)_rx[_rxStart + 4], _rx.AsMemory(_rxStart + Frame.HeaderSize, total - Frame.HeaderSize));
                    _rxStart += total;
                    Interlocked.Increment(ref s_totalFramesReceived);
                    return frame;
                }
                MakeRoom(total, available);
            }
            else if (_rx.Length - _rxStart < 4)
            {
                Compact(available);
            }

            int n;
            try
            {
                n = _tls is null
                    ? await _socket.ReceiveAsync(_rx.AsMemory(_rxEnd), SocketFlags.None, cancellation).ConfigureAwait(false)
                    : await _tls.ReadAsync(_rx.AsMemory(_rxEnd), cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                if (_rxEnd - _rxStart == 0) return default;
                throw new ProtocolException($"Connection lost mid-frame ({e.SocketErrorCode}).");
            }
            catch (IOException e) when (_tls is not null)
            {
                if (_rxEnd - _rxStart == 0) return default;
                throw new ProtocolException($"Connection lost mid-frame ({e.Message}).");
            }
            catch (ObjectDisposedException)
            {
                return default;
            }
            if (n == 0)
            {
                if (_rxEnd - _rxStart == 0) return default;
                throw new ProtocolException($"Peer closed the connection mid-frame with {_rxEnd - _rxStart} bytes of a frame received.");
            }
            _rxEnd += n;
            BytesReceived += n;
            Interlocked.Add(ref s_totalBytesReceived, n);
            Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
        }
    }

    /// <summary>
    /// Returns the receive buffer to the pool. Only the connection's reader may call it, after its last read: a
    /// frame it handed out points into that buffer.
    /// </summary>
    public void ReleaseReceiveBuffer()
    {
        byte[] rx = _rx;
        _rx = [];
        _rxStart = _rxEnd = 0;
        if (rx.Length > 0) ArrayPool<byte>.Shared.Return(rx);
    }

    /// <summary>
    /// Reserves one of the few bulk reads (whole-list replies) a connection may have outstanding; false when the
    /// peer already has that many waiting. Pair with <see cref="EndBulkRead"/>.
    /// </summary>
    public bool TryBeginBulkRead()
    {
        if (Interlocked.Increment(ref _bulkReads) <= MaxBulkReads) return true;
        Interlocked.Decrement(ref _bulkReads);
        return false;
    }

    public void EndBulkRead() => Interlocked.Decrement(ref _bulkReads);

    /// <summary>
    /// Appends a frame (head then body as its payload) to the send queue without sending it. If the queue would
    /// pass <see cref="MaxQueuedBytes"/>, the frame is dropped and the connection closed (on another thread, so
    /// a caller holding its own lock is not re-entered through <see cref="Closed"/>).
    /// </summary>
    public void Enqueue(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default) =>
        EnqueueFrame(type, head, default, body);

    private void EnqueueFrame(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> item, scoped ReadOnlySpan<byte> body)
    {
        int payload = PayloadLength(type, head, item.Length + body.Length);
        lock (_gate)
        {
            // Whatever follows a batch closes it: frames keep their order on the wire.
            _run = -1;
            if (!ReserveLocked(Frame.HeaderSize + payload)) return;
            WriteFrameLocked(type, head, item, body);
        }
        Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        Interlocked.Increment(ref s_totalFramesSent);
    }

    /// <summary>
    /// As <see cref="Enqueue"/>, for a frame a <see cref="MessageType.Batch"/> may carry (<see cref="FrameBatch.Carries"/>):
    /// on a link that batches, it joins the batch (or the lone such frame, which becomes a batch) at the tail of the
    /// send queue while the batch stays within the frame limit, so a read batch's proposals, or its data and finals,
    /// leave as one frame. A frame alone stays an ordinary frame.
    /// </summary>
    public void EnqueueBatched(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default) =>
        EnqueueCarried(type, head, default, body, run: false);

    /// <summary>
    /// As <see cref="EnqueueBatched"/>, for a frame that is a run:
    /// <paramref name="head"/> then one or more items. On a link that batches, when the last frame queued is a run of
    /// the same type and head and stays within the frame limit with one more item, the item (<paramref name="item"/>
    /// then <paramref name="body"/>, which may be empty) joins it in place, so a read batch's data, proposals, finals
    /// or delivery reports for one peer leave as one message. Otherwise it starts a new run.
    /// </summary>
    public void EnqueueRun(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> item, scoped ReadOnlySpan<byte> body = default) =>
        EnqueueCarried(type, head, item, body, run: true);

    private void EnqueueCarried(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> item, scoped ReadOnlySpan<byte> body, bool run)
    {
        if (!_batches)
        {
            EnqueueFrame(type, head, item, body);
            return;
        }
        Debug.Assert(FrameBatch.Carries(type));
        int itemBytes = item.Length + body.Length;
        int frame = Frame.HeaderSize + PayloadLength(type, head, itemBytes);
        bool joined = true;
        lock (_gate)
        {
            int tail = _txLength - _run;
            // The batch's length field after this frame: its type byte and its inner frames.
            long batchLength = _runIsBatch ? tail - 4L + frame : 1L + tail + frame;
            if (run && ExtendsRunLocked(type, head, itemBytes))
            {
                // Refused room closed the connection: the item is dropped, as Enqueue drops a frame.
                if (!ReserveLocked(itemBytes)) return;
                item.CopyTo(_tx.AsSpan(_txLength));
                body.CopyTo(_tx.AsSpan(_txLength + item.Length));
                _txLength += itemBytes;
                Grow(_runLast, itemBytes);
                if (_runIsBatch) Grow(_run, itemBytes);
            }
            else if (_run >= 0 && batchLength <= _maxFrameBytes)
            {
                if (!ReserveLocked(_runIsBatch ? frame : Frame.HeaderSize + frame)) return;
                if (!_runIsBatch)
                {
                    Buffer.BlockCopy(_tx, _run, _tx, _run + Frame.HeaderSize, tail);
                    _tx[_run + 4] = (byte)MessageType.Batch;
                    _txLength += Frame.HeaderSize;
                    _runIsBatch = true;
                }
                _runLast = _txLength;
                WriteFrameLocked(type, head, item, body);
                BinaryPrimitives.WriteUInt32LittleEndian(_tx.AsSpan(_run), (uint)batchLength);
            }
            else
            {
                if (!ReserveLocked(frame)) return;
                (_run, _runIsBatch, _runLast) = (_txLength, false, _txLength);
                WriteFrameLocked(type, head, item, body);
                joined = false;
            }
        }
        Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        Interlocked.Increment(ref s_totalFramesSent);
        if (joined) Interlocked.Increment(ref s_totalFramesBatched);
    }

    private bool ExtendsRunLocked(MessageType type, scoped ReadOnlySpan<byte> head, int item)
    {
        if (_run < 0 || _tx[_runLast + 4] != (byte)type) return false;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_tx.AsSpan(_runLast));
        if (length <= (uint)head.Length || length + (uint)item > (uint)_maxFrameBytes) return false;
        if (_runIsBatch && BinaryPrimitives.ReadUInt32LittleEndian(_tx.AsSpan(_run)) + (uint)item > (uint)_maxFrameBytes) return false;
        return _tx.AsSpan(_runLast + Frame.HeaderSize, head.Length).SequenceEqual(head);
    }

    private void Grow(int frame, int bytes) =>
        BinaryPrimitives.WriteUInt32LittleEndian(_tx.AsSpan(frame), BinaryPrimitives.ReadUInt32LittleEndian(_tx.AsSpan(frame)) + (uint)bytes);

    private int PayloadLength(MessageType type, scoped ReadOnlySpan<byte> head, int rest)
    {
        int payload = head.Length + rest;
        if (payload + 1 > _maxFrameBytes)
            throw new InvalidOperationException($"A {type} frame of {payload + 1} bytes exceeds the {_maxFrameBytes}-byte limit.");
        return payload;
    }

    /// <summary>Room for <paramref name="bytes"/> more at the tail of the send queue; false (and the frame dropped) when closed or over the bound.</summary>
    private bool ReserveLocked(int bytes)
    {
        if (IsClosed || _overflowed) return false;
        int need = _txLength + bytes;
        if ((long)need + _inFlight > MaxQueuedBytes && _txLength + _inFlight > 0)
        {
            _overflowed = true;
            long queued = (long)_txLength + _inFlight;
            ThreadPool.UnsafeQueueUserWorkItem(c => c.DisconnectSlowConsumer(queued), this, preferLocal: false);
            return false;
        }
        if (need > _tx.Length) GrowSend(Math.Max(need, _tx.Length * 2));
        return true;
    }

    private void WriteFrameLocked(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> item, scoped ReadOnlySpan<byte> body)
    {
        Span<byte> dst = _tx.AsSpan(_txLength);
        int payload = head.Length + item.Length + body.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(dst, (uint)(payload + 1));
        dst[4] = (byte)type;
        head.CopyTo(dst[Frame.HeaderSize..]);
        item.CopyTo(dst[(Frame.HeaderSize + head.Length)..]);
        body.CopyTo(dst[(Frame.HeaderSize + head.Length + item.Length)..]);
        _txLength += Frame.HeaderSize + payload;
    }

    /// <summary>Appends and sends.</summary>
    public void Send(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        Enqueue(type, head, body);
        Flush();
    }

    /// <summary>
    /// Starts sending what is queued, unless a send is already under way (it takes this up when it completes).
    /// Never blocks: the socket takes what it can now and the rest goes when the peer reads. A send failure closes
    /// the connection; callers learn of it through <see cref="Closed"/>.
    /// </summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_sending || _txLength == 0 || IsClosed) return;
            _sending = true;
            TakeBatchLocked();
        }
        Pump();
    }

    /// <summary>
    /// Sends the batch in <see cref="_sendArgs"/> and every batch queued behind it. Sends that complete at once
    /// (the usual case: the socket buffer has room) loop here on the caller's thread; one that must wait resumes
    /// in <see cref="OnSendCompleted"/>.
    /// </summary>
    private void Pump()
    {
        if (_tls is not null)
        {
            _ = PumpTlsAsync(_tls);
            return;
        }
        while (true)
        {
            bool pending;
            try
            {
                pending = _socket.SendAsync(_sendArgs);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException)
            {
                FailSend(e.Message);
                return;
            }
            if (pending || !Sent(_sendArgs)) return;
        }
    }

    /// <summary>TLS: the stream encrypts and writes each batch whole, so a batch is sent when its write completes.</summary>
    private async Task PumpTlsAsync(SslStream tls)
    {
        while (true)
        {
            int count = _sendArgs.Count;
            try
            {
                await tls.WriteAsync(_sendArgs.Buffer.AsMemory(_sendArgs.Offset, count)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Nothing awaits this pump: whatever a write throws (I/O, a close disposing the stream under it) ends the connection.
                FailSend(e.Message);
                return;
            }
            if (!Sent(count)) return;
        }
    }

    private void OnSendCompleted(SocketAsyncEventArgs args)
    {
        if (Sent(args)) Pump();
    }

    private bool Sent(SocketAsyncEventArgs args)
    {
        if (args.SocketError != SocketError.Success || args.BytesTransferred <= 0)
        {
            FailSend(args.SocketError.ToString());
            return false;
        }
        return Sent(args.BytesTransferred);
    }

    /// <summary>Accounts <paramref name="sent"/> bytes of the batch in <see cref="_sendArgs"/>; true when another send should start now.</summary>
    private bool Sent(int sent)
    {
        SocketAsyncEventArgs args = _sendArgs;
        BytesSent += sent;
        Interlocked.Add(ref s_totalBytesSent, sent);
        lock (_gate)
        {
            _inFlight -= sent;
            if (_drained is not null && (long)_txLength + _inFlight <= _drainMark) WakeDrainedLocked();
            if (IsClosed)
            {
                _sending = false;
                ReleaseSendLocked();
                return false;
            }
            if (sent < args.Count)
            {
                args.SetBuffer(args.Offset + sent, args.Count - sent);
                return true;
            }
            if (_txLength == 0)
            {
                _sending = false;
                return false;
            }
            TakeBatchLocked();
            return true;
        }
    }

    // On a pool thread: the waiter queues frames, which takes this lock, and the thread in Sent may be the socket's.
    private void WakeDrainedLocked()
    {
        ThreadPool.UnsafeQueueUserWorkItem(_drained!, _drainedState, preferLocal: false);
        (_drained, _drainedState) = (null, null);
    }

    private void TakeBatchLocked()
    {
        byte[] batch = _tx;
        (_tx, _txSpare) = (_txSpare, batch);
        _sendArgs.SetBuffer(batch, 0, _txLength);
        _inFlight = _txLength;
        _txLength = 0;
        _run = -1;
    }

    private void FailSend(string why)
    {
        lock (_gate)
        {
            _sending = false;
            if (IsClosed) ReleaseSendLocked();
        }
        Close($"send failed: {why}");
    }

    private void DisconnectSlowConsumer(long queued)
    {
        Counters?.CountSlowConsumer();
        Log.Warn($"closing {Name}: slow consumer, {queued} bytes queued and the next frame would pass the {MaxQueuedBytes}-byte limit");
        Close($"slow consumer: {queued} bytes queued");
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        CloseReason = reason;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The peer may already be gone; closing is all that is left to do.
        }
        catch (ObjectDisposedException)
        {
            // Already disposed by a racing close.
        }
        _tls?.Dispose();
        _socket.Dispose();
        lock (_gate)
        {
            if (!_sending) ReleaseSendLocked();
            if (_drained is not null) WakeDrainedLocked();
        }
        Closed?.Invoke(this);
    }

    /// <summary>Closes; the receive buffer stays with the reader (<see cref="ReleaseReceiveBuffer"/>).</summary>
    public void Dispose() => Close("disposed");

    // The send buffers go back once no send uses them: here when idle, else when the running send sees the close.
    private void ReleaseSendLocked()
    {
        if (_tx.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_tx);
        ArrayPool<byte>.Shared.Return(_txSpare);
        _tx = _txSpare = [];
        _txLength = 0;
        _run = -1;
        _sendArgs.Dispose();
    }

    /// <summary>
    /// Makes room for the rest of a frame of <paramref name="total"/> bytes. The buffer grows only when it is full
    /// of received bytes, and at most doubles, so memory follows what the peer actually sent.
    /// </summary>
    private void MakeRoom(int total, int available)
    {
        if (_rxStart + total <= _rx.Length) return;
        if (_rxStart > 0) Compact(available);
        if (_rxEnd == _rx.Length) ResizeReceive((int)Math.Min(total, 2L * _rx.Length), available);
    }

    private void Compact(int available)
    {
        Buffer.BlockCopy(_rx, _rxStart, _rx, 0, available);
        _rxStart = 0;
        _rxEnd = available;
    }

    private void ResizeReceive(int size, int available)
    {
        byte[] fresh = ArrayPool<byte>.Shared.Rent(size);
        Buffer.BlockCopy(_rx, _rxStart, fresh, 0, available);
        if (_rx.Length > 0) ArrayPool<byte>.Shared.Return(_rx);
        _rx = fresh;
        _rxStart = 0;
        _rxEnd = available;
    }

    private void GrowSend(int size)
    {
        byte[] fresh = ArrayPool<byte>.Shared.Rent(size);
        Buffer.BlockCopy(_tx, 0, fresh, 0, _txLength);
        if (_tx.Length > 0) ArrayPool<byte>.Shared.Return(_tx);
        _tx = fresh;
    }
}
