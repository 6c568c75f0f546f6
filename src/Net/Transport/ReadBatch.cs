namespace BitFusion.Net.Transport;

/// <summary>
/// Items a handler parsed from one read batch of one connection, collected by the read loop's thread and applied
/// together when the batch ends (<see cref="IFrameHandler.OnBatchEnd"/>), under one lock instead of one per frame.
/// Per thread, as <see cref="DeferredFlush"/>: a frame loop handles a batch synchronously on one thread and ends it
/// before it waits for the socket again, so a thread holds at most one batch of each item type.
/// </summary>
internal static class ReadBatch<TItem>
{
    [ThreadStatic]
    private static object? t_owner;

    [ThreadStatic]
    private static Connection? t_connection;

    [ThreadStatic]
    private static List<TItem>? t_items;

    public static void Add(object owner, Connection connection, in TItem item)
    {
        List<TItem> items = t_items ??= [];
        if (items.Count > 0 && (t_owner != owner || t_connection != connection))
            throw new InvalidOperationException("A read batch of another connection was left unapplied on this thread.");
        (t_owner, t_connection) = (owner, connection);
        items.Add(item);
    }

    /// <summary>What this owner collected from the connection in the current batch, or null if nothing; the caller clears it.</summary>
    public static List<TItem>? Take(object owner, Connection connection) =>
        t_items is { Count: > 0 } items && t_owner == owner && t_connection == connection ? items : null;
}
