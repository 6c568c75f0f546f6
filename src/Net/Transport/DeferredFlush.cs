namespace BitFusion.Net.Transport;

/// <summary>
/// Connections written to while handling a batch of received frames, flushed once when the batch ends (the receive
/// buffer holds no further whole frame). Under load many replies and deltas share one send; when idle a batch is
/// one frame and nothing waits. Per thread: a frame loop handles a batch synchronously on one thread.
/// </summary>
internal static class DeferredFlush
{
    [ThreadStatic]
    private static List<Connection>? _pending;

    [ThreadStatic]
    private static bool _inBatch;

    /// <summary>Flushes now outside a frame loop's batch, else at the batch's end.</summary>
    public static void Request(Connection connection)
    {
        if (!TryDefer(connection)) connection.Flush();
    }

    /// <summary>Defers the flush to the end of this thread's batch; false outside a batch, where the caller must flush (once it holds no lock).</summary>
    public static bool TryDefer(Connection connection)
    {
        if (!_inBatch) return false;
        List<Connection> pending = _pending ??= [];
        if (!pending.Contains(connection)) pending.Add(connection);
        return true;
    }

    internal static void Begin() => _inBatch = true;

    internal static void End()
    {
        _inBatch = false;
        List<Connection>? pending = _pending;
        if (pending is null) return;
        for (int i = 0; i < pending.Count; i++) pending[i].Flush();
        pending.Clear();
    }
}
