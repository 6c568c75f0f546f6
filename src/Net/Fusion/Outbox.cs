using System.Buffers;
using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Frames a role produced, put on their connections in the order the role produced them, and sent once the role's
/// lock is released. An adapter records them while it holds that lock (the role's spans are only valid there). A
/// small frame goes straight into its connection's bounded send queue, which never waits on the peer (a queue past
/// its bound closes the connection as a slow consumer, on another thread): the lock orders every connection's
/// frames, and the thread that recorded them flushes (at the end of its frame loop's batch, <see cref="DeferredFlush"/>)
/// and closes them in <see cref="Drain"/>, after releasing the lock, so no producer's frames wait for another thread.
/// A whole list is instead encoded chunk by chunk after the lock, from an arena (<see cref="Chunked"/>,
/// <see cref="Streamed"/>); while any recorded item is still there, every frame and close queues behind it in the
/// arena, so nothing overtakes a list on its connection (but the chunks after the first of an overtakable one). The
/// arena's drain swaps the filled queue and arena for empty ones; one drainer at a time keeps each connection's
/// frames in role order even when two threads drive the role one after the other: a thread that finds a drain under
/// way leaves its items to that drainer, which looks again before it returns. Closes wait for the drain because they
/// run the connection's Closed handlers, which take the role's lock again. The arenas are reused, so steady traffic
/// allocates nothing.
/// </summary>
internal sealed class Outbox
{
    private const int ArenaBytes = 64 << 10;

    [ThreadStatic]
    private static List<Connection>? t_flush;

    [ThreadStatic]
    private static List<(Connection, string)>? t_close;

    private readonly Lock _gate = new();
    private readonly Lock _drainer = new();
    private readonly ListsUnderWay _lists = new();
    private Queue<Item> _items = new(), _spareItems = new();
    private byte[] _arena = new byte[ArenaBytes], _spareArena = new byte[ArenaBytes];
    private int _used;

    /// <summary>
    /// Items recorded in the arena and not yet queued on their connections. Producers add to it only under the role's
    /// lock and a drain takes from it only once it queued them, so a producer that reads 0 there knows nothing it
    /// recorded before waits in the arena, and writes straight to the connection.
    /// </summary>
    private int _undelivered;

    /// <summary>Queues a frame (payload <paramref name="head"/> then <paramref name="body"/>); call holding the owner's lock.</summary>
    public void Frame(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        if (Volatile.Read(ref _undelivered) == 0)
        {
            // Nothing waits in the arena, so a list still streaming on this connection was started before this frame.
            if (_lists.Hold(to, type, head, body, null)) return;
            to.Enqueue(type, head, body);
            if (!DeferredFlush.TryDefer(to)) Remember(t_flush ??= [], to);
            return;
        }
        lock (_gate)
        {
            Span<byte> target = Reserve(head.Length + body.Length);
            head.CopyTo(target);
            body.CopyTo(target[head.Length..]);
            Commit(to, type, head.Length + body.Length);
        }
    }

    /// <summary>
    /// A whole list as frames of <paramref name="type"/>, each <paramref name="head"/> then one chunk of at most
    /// <paramref name="chunkWords"/> words (<see cref="ChunkCodec"/>): the words are copied now (the role's span is
    /// only valid under its lock) and then sent as <see cref="Streamed"/> sends them.
    /// </summary>
    public void Chunked(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words, int chunkWords, bool overtakable = false)
    {
        ulong[] copy = WordBuffers.Rent(words.Length);
        words.CopyTo(copy);
        Streamed(to, type, head, copy, words.Length, chunkWords, overtakable);
    }

    /// <summary>
    /// A whole list the outbox takes over (<paramref name="words"/>, from <see cref="WordBuffers"/>): only its
    /// head is copied now. The drain hands it to a <see cref="ChunkStream"/>, which encodes and queues its chunks as
    /// the connection drains; every later frame for that connection waits behind the list (held here, in order),
    /// so nothing the role produces after it overtakes it, and frames for other connections go at once. An
    /// <paramref name="overtakable"/> list holds back only what was produced before its first chunk: later frames
    /// go between its other chunks (<see cref="ListsUnderWay"/>). The words go back to <see cref="WordBuffers"/> once queued.
    /// </summary>
    /// <param name="release">Gives the words back instead (a shared copy's owner), once sent or dropped.</param>
    public void Streamed(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ulong[] words, int wordCount, int chunkWords, bool overtakable = false,
        Action<ulong[]>? release = null)
    {
        lock (_gate)
        {
            head.CopyTo(Reserve(head.Length));
            _items.Enqueue(new Item(to, type, _used, head.Length, null, new StreamedList(words, wordCount, chunkWords, overtakable, release ?? WordBuffers.Return)));
            _used += head.Length;
            Interlocked.Increment(ref _undelivered);
        }
    }

    /// <summary>The receiver of the overtakable list <paramref name="key"/> on <paramref name="to"/> took its first <paramref name="words"/> words; call holding no lock.</summary>
    public void Acknowledge(Connection to, ulong key, int words) => _lists.Acknowledge(to, key, words);

    /// <summary><paramref name="to"/> closed; call holding no lock.</summary>
    public void Closed(Connection to) => _lists.Closed(to);

    /// <summary>Closes <paramref name="to"/> after the frames recorded before it; call holding the owner's lock.</summary>
    public void Close(Connection to, string reason)
    {
        if (Volatile.Read(ref _undelivered) == 0)
        {
            (t_close ??= []).Add((to, reason));
            return;
        }
        lock (_gate)
        {
            _items.Enqueue(new Item(to, default, 0, 0, reason));
            Interlocked.Increment(ref _undelivered);
        }
    }

    /// <summary>Queues what waits in the arena on its connections, then flushes and closes what this thread recorded; call holding no lock.</summary>
    public void Drain()
    {
        // A thread always sees its own arena items; another thread's are that thread's to drain.
        while (Volatile.Read(ref _undelivered) != 0 && _drainer.TryEnter())
        {
            try
            {
                Deliver();
            }
            finally
            {
                _drainer.Exit();
            }
        }
        List<Connection>? flush = t_flush;
        List<(Connection, string)>? close = t_close;
        // Most inputs (an acknowledgement that completes nothing) record nothing.
        if (flush is not { Count: > 0 } && close is not { Count: > 0 }) return;
        // A close runs the connection's Closed handlers on this thread, which may record and drain again: that nested
        // drain gets lists of its own.
        t_flush = null;
        t_close = null;
        if (flush is not null)
        {
            foreach (Connection c in flush) DeferredFlush.Request(c);
            flush.Clear();
        }
        if (close is not null)
        {
            foreach ((Connection c, string reason) in close) c.Close(reason);
            close.Clear();
        }
        t_flush ??= flush;
        t_close ??= close;
    }

    /// <summary>Moves the arena's items onto their connections (the flushes and closes go to this thread's lists); holding the drainer lock.</summary>
    private void Deliver()
    {
        Queue<Item> items;
        byte[] arena;
        lock (_gate)
        {
            (items, arena) = (_items, _arena);
            (_items, _arena, _used) = (_spareItems, _spareArena, 0);
        }
        int delivered = items.Count;
        try
        {
            while (items.TryDequeue(out Item item))
            {
                if (item.Reason is { } reason)
                {
                    (t_close ??= []).Add((item.To, reason));
                    continue;
                }
                ReadOnlySpan<byte> bytes = arena.AsSpan(item.Offset, item.Length);
                if (_lists.Hold(item.To, item.Type, bytes, default, item.List)) continue;
                if (item.List is { } list)
                {
                    _lists.Start(item.To, item.Type, bytes, list);
                    continue;
                }
                item.To.Enqueue(item.Type, bytes);
                Remember(t_flush ??= [], item.To);
            }
        }
        finally
        {
            items.Clear();
            _spareItems = items;
            // A whole-list frame grew the arena; do not keep that much for the small frames that follow.
            _spareArena = arena.Length > 16 * ArenaBytes ? new byte[ArenaBytes] : arena;
            // Only now may producers write straight to the connections: everything recorded before is queued ahead of them.
            Interlocked.Add(ref _undelivered, -delivered);
        }
    }

    private static void Remember(List<Connection> flush, Connection c)
    {
        if (!flush.Contains(c)) flush.Add(c);
    }

    private Span<byte> Reserve(int bytes)
    {
        if (_used + bytes > _arena.Length)
        {
            byte[] grown = new byte[Math.Max(_arena.Length * 2, _used + bytes)];
            _arena.AsSpan(0, _used).CopyTo(grown);
            _arena = grown;
        }
        return _arena.AsSpan(_used, bytes);
    }

    private void Commit(Connection to, MessageType type, int length)
    {
        _items.Enqueue(new Item(to, type, _used, length, null));
        _used += length;
        Interlocked.Increment(ref _undelivered);
    }

    private readonly record struct Item(Connection To, MessageType Type, int Offset, int Length, string? Reason, StreamedList? List = null);
}
