using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Frames a role produced, queued on their connections in the order the role produced them, and sent once the role's
/// lock is released. An adapter records them while it holds that lock (the role's spans are only valid there): each
/// frame is copied at once into its connection's bounded send queue, which never waits on the peer (a queue past its
/// bound closes the connection as a slow consumer, on another thread), so the lock orders every connection's frames
/// and nothing is sent under it. The connections to flush and to close are kept per thread, and the thread that
/// recorded them flushes (at the end of its frame loop's batch, <see cref="DeferredFlush"/>) and closes them in
/// <see cref="Drain"/>, after releasing the lock: no thread waits for another to send its frames, so a producer that
/// is descheduled delays only its own. Closes wait for the drain because they run the connection's Closed handlers,
/// which take the role's lock again. Steady traffic allocates nothing.
/// </summary>
internal sealed class Outbox
{
    [ThreadStatic]
    private static List<Connection>? t_flush;

    [ThreadStatic]
    private static List<(Connection, string)>? t_close;

    /// <summary>Queues a frame (payload <paramref name="head"/> then <paramref name="body"/>); call holding the owner's lock.</summary>
    public void Frame(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, scoped ReadOnlySpan<byte> body = default)
    {
        to.Enqueue(type, head, body);
        Flush(to);
    }

    /// <summary>A frame whose payload is <paramref name="head"/> then <paramref name="words"/> as a bulk block (LZ4); call holding the owner's lock.</summary>
    public void Bulk(Connection to, MessageType type, scoped ReadOnlySpan<byte> head, ReadOnlySpan<ulong> words)
    {
        BulkCodec.Enqueue(to, type, head, words);
        Flush(to);
    }

    /// <summary>Closes <paramref name="to"/> once the frames before it are flushed; call holding the owner's lock.</summary>
    public void Close(Connection to, string reason) => (t_close ??= []).Add((to, reason));

    /// <summary>Flushes and closes what this thread recorded since its last drain; call holding no lock.</summary>
    public void Drain()
    {
        List<Connection>? flush = t_flush;
        List<(Connection, string)>? close = t_close;
        if (flush is not { Count: > 0 } && close is not { Count: > 0 }) return;
        // A close runs the connection's Closed handlers on this thread, which may record and drain again: that
        // nested drain gets lists of its own.
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

    private static void Flush(Connection to)
    {
        List<Connection> flush = t_flush ??= [];
        if (!flush.Contains(to)) flush.Add(to);
    }
}
