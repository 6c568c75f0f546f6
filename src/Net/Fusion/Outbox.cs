using System.Buffers;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Frames a role produced, in the order it produced them, waiting to be queued on their connections. An adapter
/// fills it while it holds its role's lock (the role's spans are only valid there, so each frame is built into a
/// pooled buffer at once) and drains it after releasing that lock. One queue for every connection keeps each
/// connection's frames in role order even when two threads drive the role one after the other: whichever drains
/// first takes both threads' frames, oldest first.
/// </summary>
internal sealed class Outbox
{
    [ThreadStatic]
    private static List<Connection>? t_flush;

    [ThreadStatic]
    private static List<(Connection, string)>? t_close;

    private readonly Lock _gate = new();
    private readonly Queue<Item> _items = new();

    public void Frame(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, head.Length + body.Length));
        head.CopyTo(buffer);
        body.CopyTo(buffer.AsSpan(head.Length));
        Add(new Item(to, type, buffer, head.Length + body.Length, null));
    }

    /// <summary>A frame whose payload is <paramref name="head"/> then <paramref name="words"/> as a bulk block (LZ4).</summary>
    public void Bulk(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(head.Length + BulkCodec.MaxEncodedBytes(words.Length));
        head.CopyTo(buffer);
        int length = head.Length + BulkCodec.Encode(words, buffer.AsSpan(head.Length));
        Add(new Item(to, type, buffer, length, null));
    }

    public void Close(Connection to, string reason) => Add(new Item(to, default, null, 0, reason));

    /// <summary>Queues everything recorded so far on its connection, then flushes and closes; call holding no lock.</summary>
    public void Drain()
    {
        // A close runs the connection's Closed handlers on this thread, which may drain again: that nested drain
        // gets lists of its own.
        List<Connection> flush = t_flush ?? [];
        List<(Connection, string)> close = t_close ?? [];
        t_flush = null;
        t_close = null;
        lock (_gate)
        {
            while (_items.TryDequeue(out Item item))
            {
                if (item.Reason is { } reason)
                {
                    close.Add((item.To, reason));
                    continue;
                }
                item.To.Enqueue(item.Type, item.Buffer.AsSpan(0, item.Length));
                ArrayPool<byte>.Shared.Return(item.Buffer!);
                if (!flush.Contains(item.To)) flush.Add(item.To);
            }
        }
        foreach (Connection c in flush) DeferredFlush.Request(c);
        flush.Clear();
        foreach ((Connection c, string reason) in close) c.Close(reason);
        close.Clear();
        t_flush = flush;
        t_close = close;
    }

    private void Add(in Item item)
    {
        lock (_gate) _items.Enqueue(item);
    }

    private readonly record struct Item(Connection To, MessageType Type, byte[]? Buffer, int Length, string? Reason);
}
