using System.Buffers;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>A whole list an <see cref="Outbox"/> owns until it is streamed, and how its words are given back once sent.</summary>
internal sealed record StreamedList(ulong[] Words, int WordCount, int ChunkWords, bool Overtakable, Action<ulong[]> Release);

/// <summary>
/// An outbox's lists being streamed (<see cref="ChunkStream"/>), at most one per connection, and the frames its
/// role produced for that connection after the list, held in order until the list's last chunk is queued: a
/// cut's snapshot must reach the backup before the deltas that follow it, and a client must get one read's chunks
/// before the next answer. A held list starts when the ones before it are done. The connection's drain drives
/// the whole of it on pool threads; nothing waits.
/// </summary>
internal sealed class ListsUnderWay
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Connection, Backlog> _busy = [];
    private readonly Action<ChunkStream> _finished;

    /// <summary>
    /// What an overtakable list may have on the way beyond what its receiver acknowledged: the frames that overtake
    /// it wait behind at most this much, in the send queue and the kernel's buffers alike (which on loopback grow
    /// to tens of MiB and would otherwise hold most of a list ahead of them).
    /// </summary>
    public const long WindowBytes = 1 << 20;

    /// <summary>The chunk of an overtakable list: a quarter of its window, so the window keeps the link busy.</summary>
    public const int OvertakableChunkWords = (int)(WindowBytes / 4 / 8);

    /// <summary>Connections with a list under way; read without the lock so a drain with none skips it.</summary>
    private int _count;

    public ListsUnderWay() => _finished = Finished;

    /// <summary>
    /// Holds a frame (or a list) for <paramref name="to"/> if a list is under way on it, unless it is a frame the
    /// list lets through (nothing held before it); false when it may go now.
    /// Called by the outbox's one drainer, which alone starts lists, or by a producer while nothing waits in the
    /// outbox's arena (so no drainer is starting one): either way a zero count it reads is current.
    /// </summary>
    public bool Hold(Connection to, MessageType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, StreamedList? list)
    {
        if (Volatile.Read(ref _count) == 0) return false;
        lock (_gate)
        {
            if (!_busy.TryGetValue(to, out Backlog? backlog)) return false;
            if (list is null && backlog.PassThrough && backlog.IsEmpty) return false;
            backlog.Add(type, head, body, list);
            return true;
        }
    }

    /// <summary>Starts streaming a list on <paramref name="to"/>, which has none under way; it takes over the list's words.</summary>
    public void Start(Connection to, MessageType type, ReadOnlySpan<byte> head, StreamedList list)
    {
        var stream = new ChunkStream(to, type, head, list.Words, list.WordCount, list.ChunkWords, _finished, list.Release, list.Overtakable ? WindowBytes : 0);
        lock (_gate)
        {
            // The caller (the outbox's one drainer) queues nothing else meanwhile, so the first chunk is in order.
            if (list.Overtakable) stream.QueueFirst();
            _busy.Add(to, new Backlog { PassThrough = list.Overtakable, Stream = stream });
            Volatile.Write(ref _count, _busy.Count);
        }
        if (stream.Pump()) Finished(stream);
    }

    /// <summary>The receiver of the list named <paramref name="key"/> on <paramref name="to"/> has taken its first <paramref name="words"/> words.</summary>
    public void Acknowledge(Connection to, ulong key, int words)
    {
        if (Volatile.Read(ref _count) == 0) return;
        ChunkStream? stream;
        lock (_gate) stream = _busy.TryGetValue(to, out Backlog? backlog) ? backlog.Stream : null;
        if (stream is not null && stream.Key == key) stream.Acknowledge(words);
    }

    /// <summary><paramref name="to"/> closed: a list waiting there for an acknowledgement ends (and returns its words).</summary>
    public void Closed(Connection to)
    {
        if (Volatile.Read(ref _count) == 0) return;
        ChunkStream? stream;
        lock (_gate) stream = _busy.TryGetValue(to, out Backlog? backlog) ? backlog.Stream : null;
        stream?.Abandon();
    }

    /// <summary>
    /// Queues what waited behind a finished list, up to the next held list, which starts in turn; behind an
    /// overtakable one the frames up to the list after it go too, right after its first chunk.
    /// </summary>
    private void Finished(ChunkStream done)
    {
        Connection to = done.To;
        while (true)
        {
            ChunkStream? next = null;
            lock (_gate)
            {
                Backlog backlog = _busy[to];
                backlog.PassThrough = false;
                while (!(next is not null && backlog.NextIsList) && backlog.TryTake(out MessageType type, out ReadOnlySpan<byte> bytes, out StreamedList? list))
                {
                    if (list is null)
                    {
                        to.Enqueue(type, bytes);
                        continue;
                    }
                    next = new ChunkStream(to, type, bytes, list.Words, list.WordCount, list.ChunkWords, _finished, list.Release, list.Overtakable ? WindowBytes : 0);
                    backlog.Stream = next;
                    if (!list.Overtakable) break;
                    next.QueueFirst();
                    backlog.PassThrough = true;
                }
                if (next is null)
                {
                    _busy.Remove(to);
                    Volatile.Write(ref _count, _busy.Count);
                    backlog.Release();
                }
            }
            to.Flush();
            if (next is null || !next.Pump()) return;
        }
    }

    /// <summary>Frames waiting behind a list, their bytes copied into one pooled buffer.</summary>
    private sealed class Backlog
    {
        private readonly Queue<(MessageType Type, int Offset, int Length, StreamedList? List)> _held = new();
        private byte[] _bytes = [];
        private int _used;

        /// <summary>The list under way is overtakable and its first chunk is queued: a frame with nothing held before it may go.</summary>
        public bool PassThrough { get; set; }

        public bool IsEmpty => _held.Count == 0;

        /// <summary>The list under way.</summary>
        public ChunkStream? Stream { get; set; }

        public bool NextIsList => _held.TryPeek(out var held) && held.List is not null;

        public void Add(MessageType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, StreamedList? list)
        {
            int length = head.Length + body.Length;
            if (_used + length > _bytes.Length)
            {
                byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(4096, Math.Max(2 * _bytes.Length, _used + length)));
                _bytes.AsSpan(0, _used).CopyTo(grown);
                if (_bytes.Length > 0) ArrayPool<byte>.Shared.Return(_bytes);
                _bytes = grown;
            }
            head.CopyTo(_bytes.AsSpan(_used));
            body.CopyTo(_bytes.AsSpan(_used + head.Length));
            _held.Enqueue((type, _used, length, list));
            _used += length;
        }

        /// <summary>The next held frame; its bytes stay valid until the next <see cref="Add"/> or <see cref="Release"/>.</summary>
        public bool TryTake(out MessageType type, out ReadOnlySpan<byte> bytes, out StreamedList? list)
        {
            if (!_held.TryDequeue(out var held))
            {
                type = default;
                bytes = default;
                list = null;
                return false;
            }
            type = held.Type;
            bytes = _bytes.AsSpan(held.Offset, held.Length);
            list = held.List;
            if (_held.Count == 0) _used = 0;
            return true;
        }

        public void Release()
        {
            if (_bytes.Length > 0) ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = [];
        }
    }
}
