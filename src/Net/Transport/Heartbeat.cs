using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Keeps an authenticated connection audible: every <c>heartbeatMs</c> it sends an empty
/// <see cref="MessageType.Heartbeat"/> frame unless something else went out in that time, so the peer's
/// <see cref="Connection.LastHeardMs"/> only goes stale when this process is paused or the link is dead.
/// </summary>
internal sealed class Heartbeat : IDisposable
{
    private readonly Connection _connection;
    private readonly int _intervalMs;
    private readonly Timer _timer;

    private Heartbeat(Connection connection, int intervalMs)
    {
        _connection = connection;
        _intervalMs = intervalMs;
        _timer = new Timer(static state => ((Heartbeat)state!).Beat(), this, intervalMs, intervalMs);
    }

    /// <summary>Starts beating, or returns null when heartbeats are off (<paramref name="intervalMs"/> ≤ 0).</summary>
    public static Heartbeat? Start(Connection connection, int intervalMs) => intervalMs > 0 ? new Heartbeat(connection, intervalMs) : null;

    // Runs on a timer thread holding no lock, so a send that blocks delays only this connection's next beat.
    private void Beat()
    {
        if (_connection.IsClosed || Environment.TickCount64 - _connection.LastSentMs < _intervalMs) return;
        _connection.Send(MessageType.Heartbeat, default);
    }

    public void Dispose() => _timer.Dispose();
}
