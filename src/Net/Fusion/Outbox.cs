using System.Buffers;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Frames a role produced, in the order it produced them, waiting to be queued on their connections. An adapter
/// fills it while it holds its role's lock (the role's spans are only valid there, so each frame's bytes are
/// copied at once into one arena) and drains it after releasing that lock. Draining swaps the filled queue and
/// arena for empty ones, so a thread producing under the role's lock waits only for that swap, never for another
/// thread's copies into the connections. One drainer at a time keeps each connection's frames in role order even
/// when two threads drive the role one after the other: a thread that finds a drain under way leaves its frames to
/// that drainer, which looks again before it returns. The arenas are reused, so steady traffic allocates nothing.
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

    /// <summary>Items recorded and not yet taken by a drain; read without the lock only to skip a drain with nothing to do.</summary>
    private int _count;

    public void Frame(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
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
    public void Chunked(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words, int chunkWords)
    {
        ulong[] copy = ArrayPool<ulong>.Shared.Rent(Math.Max(1, words.Length));
        words.CopyTo(copy);
        Streamed(to, type, head, copy, words.Length, chunkWords);
    }

    /// <summary>
    /// A whole list the outbox takes over (<paramref name="words"/>, rented from ArrayPool&lt;ulong&gt;.Shared): only its
    /// head is copied now. The drain hands it to a <see cref="ChunkStream"/>, which encodes and queues its chunks as
    /// the connection drains; every later frame for that connection waits behind the list (held here, in order),
    /// so nothing the role produces after it overtakes it, and frames for other connections go at once. The words
    /// go back to the pool once queued.
    /// </summary>
    public void Streamed(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ulong[] words, int wordCount, int chunkWords)
    {
        lock (_gate)
        {
            head.CopyTo(Reserve(head.Length));
            _items.Enqueue(new Item(to, type, _used, head.Length, null, new StreamedList(words, wordCount, chunkWords)));
            _used += head.Length;
            _count++;
        }
    }

    public void Close(Connection to, string reason)
    {
        lock (_gate)
        {
            _items.Enqueue(new Item(to, default, 0, 0, reason));
            _count++;
        }
    }

    /// <summary>Queues everything recorded so far on its connection, then flushes and closes; call holding no lock.</summary>
    public void Drain()
    {
        // Most inputs (an acknowledgement that completes nothing) record nothing. A thread always sees its own items;
        // another thread's are that thread's to drain.
        if (Volatile.Read(ref _count) == 0) return;
        while (_drainer.TryEnter())
        {
            // A close runs the connection's Closed handlers on this thread, which may drain again: that nested drain
            // gets lists of its own.
            List<Connection> flush = t_flush ?? [];
            List<(Connection, string)> close = t_close ?? [];
            t_flush = null;
            t_close = null;
            try
            {
                Queue<Item> items;
                byte[] arena;
                lock (_gate)
                {
                    (items, arena) = (_items, _arena);
                    (_items, _arena, _used, _count) = (_spareItems, _spareArena, 0, 0);
                }
                while (items.TryDequeue(out Item item))
                {
                    if (item.Reason is { } reason)
                    {
                        close.Add((item.To, reason));
                        continue;
                    }
                    ReadOnlySpan<byte> bytes = arena.AsSpan(item.Offset, item.Length);
                    if (_lists.Hold(item.To, item.Type, bytes, item.List)) continue;
                    if (item.List is { } list)
                    {
                        _lists.Start(item.To, item.Type, bytes, list.Words, list.WordCount, list.ChunkWords);
                        continue;
                    }
                    item.To.Enqueue(item.Type, bytes);
                    if (!flush.Contains(item.To)) flush.Add(item.To);
                }
                _spareItems = items;
                // A whole-list frame grew the arena; do not keep that much for the small frames that follow.
                _spareArena = arena.Length > 16 * ArenaBytes ? new byte[ArenaBytes] : arena;
            }
            finally
            {
                _drainer.Exit();
            }
            foreach (Connection c in flush) DeferredFlush.Request(c);
            flush.Clear();
            foreach ((Connection c, string reason) in close) c.Close(reason);
            close.Clear();
            t_flush = flush;
            t_close = close;
            // Frames another thread added while this one drained are this thread's to send: that thread saw the
            // drain under way and left.
            lock (_gate)
                if (_items.Count == 0) return;
        }
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
        _count++;
    }

    private readonly record struct Item(Connection To, MessageType Type, int Offset, int Length, string? Reason, StreamedList? List = null);
}
