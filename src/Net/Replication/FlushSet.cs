using BitFusion.Core.Replication;
using BitFusion.Net.Wire;
using System.Buffers;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Replication;

/// <summary>
/// Connections a service wrote to while holding its lock. Sending under the lock could stall every other
/// connection behind one slow peer (and, between two services, deadlock), so the lock holder only enqueues and
/// records the connection here; whoever releases the lock flushes them, batched with the rest of the read batch.
/// </summary>
internal sealed class FlushSet
{
    private readonly List<Connection> _pending = [];

    /// <summary>Under the owner's lock.</summary>
    public void Add(Connection connection)
    {
        if (!_pending.Contains(connection)) _pending.Add(connection);
    }

    /// <summary>Under the owner's lock: hands the recorded connections to <see cref="Batch.Flush"/>.</summary>
    public Batch Take()
    {
        int count = _pending.Count;
        if (count == 0) return default;
        Connection[] array = ArrayPool<Connection>.Shared.Rent(count);
        _pending.CopyTo(array);
        _pending.Clear();
        return new Batch(array, count);
    }

    public readonly struct Batch(Connection[]? connections, int count)
    {
        /// <summary>After the owner's lock is released.</summary>
        public void Flush()
        {
            if (connections is null) return;
            for (int i = 0; i < count; i++) DeferredFlush.Request(connections[i]);
            ArrayPool<Connection>.Shared.Return(connections, clearArray: true);
        }
    }
}
