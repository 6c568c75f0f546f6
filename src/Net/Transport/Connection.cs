using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// A framed, pipelined TCP connection over pooled buffers. Reads are async and return frames that live in the
/// receive buffer until the next read. Writes are appended to a pooled send buffer under a short lock and sent by
/// whichever thread finds the socket idle ("combining"): no thread hop on an idle connection, natural batching
/// under load, and no allocation per message.
/// </summary>
public sealed class Connection : IDisposable
{
    private const int InitialBuffer = 64 << 10;
    private const int KeepLargeBuffer = 1 << 20;

    private readonly Socket _socket;
    private readonly int _maxFrameBytes;
    private readonly Lock _gate = new();
    private byte[] _rx;
    private int _rxStart, _rxEnd;
    private byte[] _tx, _txSpare;
    private int _txLength;
    private bool _sending;
    private int _closed;
    private long _lastReceivedMs = Environment.TickCount64;
    private long _lastSentMs = Environment.TickCount64;
    private static long s_totalBytesSent;
    private static long s_totalFramesSent;

    public Connection(Socket socket, string name, int maxFrameBytes = Frame.DefaultMaxFrameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameBytes, 64);
        _socket = socket;
        _socket.NoDelay = true;
        _maxFrameBytes = maxFrameBytes;
        Name = name;
        _rx = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        _tx = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        _txSpare = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    }

    /// <summary>Who is on the other end, for logs: e.g. "backup 1 @ 127.0.0.1:7001".</summary>
    public string Name { get; set; }

    public PeerIdentity Peer { get; internal set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public string? CloseReason { get; private set; }

    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>
    /// When bytes last arrived (<see cref="Environment.TickCount64"/>, ms): with heartbeats on idle links, a peer
    /// silent for longer than the suspicion timeout is paused, stalled or behind a half-open connection.
    /// </summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    /// <summary>When a frame was last enqueued to this peer, so heartbeats go only on links that are otherwise idle.</summary>
    public long LastSentMs => Volatile.Read(ref _lastSentMs);

    /// <summary>Bytes sent by every connection of this process: what crossed the wire, for per-update and per-recovery figures.</summary>
    public static long TotalBytesSent => Interlocked.Read(ref s_totalBytesSent);

    /// <summary>Frames (messages) enqueued by every connection of this process.</summary>
    public static long TotalFramesSent => Interlocked.Read(ref s_totalFramesSent);

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
                if (_rx.Length > KeepLargeBuffer) ResizeReceive(InitialBuffer, 0);
            }
            if (available >= 4)
            {
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(_rx.AsSpan(_rxStart));
                if (length == 0 || length > (uint)_maxFrameBytes)
                    throw new ProtocolException($"Frame length {length} is outside 1..{_maxFrameBytes}.");
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
                    var frame = new Frame((MessageType)_rx[_rxStart + 4], _rx.AsMemory(_rxStart + Frame.HeaderSize, total - Frame.HeaderSize));
                    _rxStart += total;
                    return frame;
                }
                if (_rx.Length < total) ResizeReceive(total, available);
                else if (_rxStart + total > _rx.Length) Compact(available);
            }
            else if (_rxStart > 0 && _rx.Length - _rxStart < 4)
            {
                Compact(available);
            }

            int n;
            try
            {
                n = await _socket.ReceiveAsync(_rx.AsMemory(_rxEnd), SocketFlags.None, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                if (_rxEnd - _rxStart == 0) return default;
                throw new ProtocolException($"Connection lost mid-frame ({e.SocketErrorCode}).");
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
            Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
        }
    }

    /// <summary>Appends a frame (head then body as its payload) to the send buffer without sending it.</summary>
    public void Enqueue(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        int payload = head.Length + body.Length;
        if (payload + 1 > _maxFrameBytes)
            throw new InvalidOperationException($"A {type} frame of {payload + 1} bytes exceeds the {_maxFrameBytes}-byte limit.");
        lock (_gate)
        {
            if (IsClosed) return;
            int need = _txLength + Frame.HeaderSize + payload;
            if (need > _tx.Length) GrowSend(Math.Max(need, _tx.Length * 2));
            Span<byte> dst = _tx.AsSpan(_txLength);
            BinaryPrimitives.WriteUInt32LittleEndian(dst, (uint)(payload + 1));
            dst[4] = (byte)type;
            head.CopyTo(dst[Frame.HeaderSize..]);
            body.CopyTo(dst[(Frame.HeaderSize + head.Length)..]);
            _txLength = need;
        }
        Volatile.Write(ref _lastSentMs, Environment.TickCount64);
        Interlocked.Increment(ref s_totalFramesSent);
    }

    /// <summary>Appends and sends.</summary>
    public void Send(MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        Enqueue(type, head, body);
        Flush();
    }

    /// <summary>
    /// Sends what is buffered, unless another thread is already sending (it will pick this up before it stops).
    /// A send failure closes the connection; callers learn of it through <see cref="Closed"/>.
    /// </summary>
    public void Flush()
    {
        byte[] batch;
        int length;
        lock (_gate)
        {
            if (_sending || _txLength == 0 || IsClosed) return;
            _sending = true;
            (batch, _tx, _txSpare) = (_tx, _txSpare, _tx);
            length = _txLength;
            _txLength = 0;
        }
        while (true)
        {
            try
            {
                int sent = 0;
                while (sent < length) sent += _socket.Send(batch, sent, length - sent, SocketFlags.None);
                BytesSent += length;
                Interlocked.Add(ref s_totalBytesSent, length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                lock (_gate) _sending = false;
                Close($"send failed: {e.Message}");
                return;
            }
            lock (_gate)
            {
                if (_txLength == 0 || IsClosed)
                {
                    _sending = false;
                    return;
                }
                (batch, _tx, _txSpare) = (_tx, _txSpare, _tx);
                length = _txLength;
                _txLength = 0;
            }
        }
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
        _socket.Dispose();
        Closed?.Invoke(this);
    }

    // Buffers are not returned to the pool on close: a racing read or send may still be using them.
    public void Dispose() => Close("disposed");

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
        ArrayPool<byte>.Shared.Return(_rx);
        _rx = fresh;
        _rxStart = 0;
        _rxEnd = available;
    }

    private void GrowSend(int size)
    {
        byte[] fresh = ArrayPool<byte>.Shared.Rent(size);
        Buffer.BlockCopy(_tx, 0, fresh, 0, _txLength);
        ArrayPool<byte>.Shared.Return(_tx);
        _tx = fresh;
    }
}
