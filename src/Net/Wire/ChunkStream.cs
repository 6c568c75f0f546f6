using System.Buffers;
using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// One whole list on its way to one connection as <see cref="ChunkCodec"/> frames, paced by the connection's send
/// queue: chunks are encoded and queued only while the queue holds less than <see cref="HighMarkBytes"/> (or half
/// the connection's cap, if that is less), and the rest wait for the socket to drain it
/// (<see cref="Connection.WhenDrained"/>), so a list of any length costs a few chunks of queue instead of the whole
/// list and never trips the slow-consumer cap; no thread waits meanwhile. The words go back (to
/// <see cref="WordBuffers"/>, or to a shared copy's owner) when the last chunk is queued or the connection closes.
/// </summary>
internal sealed class ChunkStream
{
    /// <summary>As AR's state transfer keeps unacknowledged: enough to keep loopback busy between two wake-ups.</summary>
    public const long HighMarkBytes = 4 << 20;

    private static readonly Action<object?> s_resume = static s => ((ChunkStream)s!).Resume();

    private readonly Connection _to;
    private readonly MessageType _type;
    private readonly byte[] _head;
    private readonly ulong[] _words;
    private readonly int _wordCount;
    private readonly ChunkPlan _plan;
    private readonly Action<ChunkStream> _finished;
    private readonly Action<ulong[]> _release;
    private readonly long _high, _wake;
    private readonly long _windowWords;
    private byte[]? _scratch;
    private int _next;

    /// <summary>Words the receiver reported done (<see cref="Acknowledge"/>); only read with a window.</summary>
    private int _acked;

    /// <summary>1 while <see cref="Pump"/> waits for an acknowledgement to open the window; whoever clears it resumes.</summary>
    private int _parked;

    /// <param name="finished">Runs when a stream that <see cref="Pump"/> left waiting has queued its last chunk (or its connection closed).</param>
    /// <param name="windowBytes">
    /// With a window (&gt; 0), at most that many bytes of words are sent beyond what the receiver acknowledged
    /// (<see cref="Acknowledge"/>), so what else shares the connection waits behind at most that much in every
    /// buffer on the way, the kernel's included; the first chunk always goes.
    /// </param>
    /// <param name="release">Gives the words back once the last chunk is queued or the connection closed.</param>
    public ChunkStream(Connection to, MessageType type, ReadOnlySpan<byte> head, ulong[] words, int wordCount, int chunkWords, Action<ChunkStream> finished,
        Action<ulong[]> release, long windowBytes = 0)
    {
        _release = release;
        _windowWords = windowBytes / 8;
        _to = to;
        _type = type;
        _head = head.ToArray();
        _words = words;
        _wordCount = wordCount;
        _plan = new ChunkPlan(wordCount, chunkWords);
        _finished = finished;
        long frame = Frame.HeaderSize + ChunkCodec.ScratchBytes(head.Length, Math.Min(chunkWords, Math.Max(1, wordCount)));
        _high = Math.Min(HighMarkBytes, to.MaxQueuedBytes / 2);
        // Waking where a whole chunk fits under the high mark again; at an empty queue when a chunk is larger than it.
        _wake = frame > _high ? 0 : Math.Min(_high / 2, _high - frame);
    }

    public Connection To => _to;

    /// <summary>The head's first eight bytes: what names the transfer (a snapshot's token).</summary>
    public ulong Key => _head.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(_head) : 0;

    /// <summary>The receiver has taken the first <paramref name="words"/> words: a window stream waiting for that goes on (on a pool thread).</summary>
    public void Acknowledge(int words)
    {
        int current;
        do
        {
            current = Volatile.Read(ref _acked);
            if (words <= current) return;
        } while (Interlocked.CompareExchange(ref _acked, words, current) != current);
        if (Interlocked.Exchange(ref _parked, 0) == 1) ThreadPool.UnsafeQueueUserWorkItem(s_resume, this, preferLocal: false);
    }

    /// <summary>The connection closed: a stream waiting for an acknowledgement that will never come ends now.</summary>
    public void Abandon()
    {
        if (Interlocked.Exchange(ref _parked, 0) == 1) ThreadPool.UnsafeQueueUserWorkItem(s_resume, this, preferLocal: false);
    }

    private bool WindowFull(int offset, int count) => _windowWords > 0 && offset > 0 && offset + count - Volatile.Read(ref _acked) > _windowWords;

    /// <summary>
    /// Queues the first chunk now, whatever the queue holds (no flush): for a list whose later frames may overtake its
    /// other chunks, the first must still go where the list was produced, so the caller calls this in order, under
    /// the lock that orders the connection's frames, and <see cref="Pump"/> afterwards.
    /// </summary>
    public void QueueFirst()
    {
        _scratch ??= ArrayPool<byte>.Shared.Rent(ChunkCodec.ScratchBytes(_head.Length, Math.Min(_plan.ChunkWords, Math.Max(1, _wordCount))));
        if (_next != 0 || _to.IsClosed) return;
        (int offset, int count) = _plan[0];
        ChunkCodec.EnqueueOne(_to, _type, _head, _wordCount, offset, _words.AsSpan(offset, count), _scratch);
        _next = 1;
    }

    /// <summary>
    /// Queues chunks while the connection has room and flushes them; true once every chunk is queued (or the
    /// connection closed), false when the rest go later, on a pool thread, and <c>finished</c> will report the end.
    /// One call queues at most one queue's worth: the caller may be a frame loop, which must get back to reading
    /// (a peer whose heartbeats sit unread is suspected), however fast the socket takes the chunks.
    /// </summary>
    public bool Pump()
    {
        _scratch ??= ArrayPool<byte>.Shared.Rent(ChunkCodec.ScratchBytes(_head.Length, Math.Min(_plan.ChunkWords, Math.Max(1, _wordCount))));
        long queued = _to.QueuedBytes;
        while (_next < _plan.Count && !_to.IsClosed)
        {
            (int offset, int count) = _plan[_next];
            long frame = Frame.HeaderSize + _head.Length + ChunkCodec.MaxEncodedBytes(count);
            if (queued > 0 && queued + frame > _high) break;
            if (WindowFull(offset, count))
            {
                Volatile.Write(ref _parked, 1);
                // An acknowledgement (or a close, Abandon) that came before the flag was up did not see it: look again.
                if ((WindowFull(offset, count) && !_to.IsClosed) || Interlocked.Exchange(ref _parked, 0) == 0)
                {
                    _to.Flush();
                    return false;
                }
                continue;
            }
            ChunkCodec.EnqueueOne(_to, _type, _head, _wordCount, offset, _words.AsSpan(offset, count), _scratch);
            _next++;
            queued = _to.QueuedBytes;
        }
        _to.Flush();
        if (_next == _plan.Count || _to.IsClosed)
        {
            Release();
            return true;
        }
        if (!_to.WhenDrained(_wake, s_resume, this)) ThreadPool.UnsafeQueueUserWorkItem(s_resume, this, preferLocal: false);
        return false;
    }

    private void Resume()
    {
        if (Pump()) _finished(this);
    }

    private void Release()
    {
        _release(_words);
        if (_scratch is not null) ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = null;
    }
}
