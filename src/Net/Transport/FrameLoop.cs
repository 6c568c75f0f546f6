using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Reads frames and hands them to a handler until the connection ends; any failure closes just this connection.
/// With <c>heartbeatMs</c> &gt; 0 the connection sends heartbeats while idle (the reader swallows received ones).
/// </summary>
public static class FrameLoop
{
    public static async Task RunAsync(Connection connection, IFrameHandler handler, NetCounters counters, CancellationToken cancellation,
        int heartbeatMs = 0)
    {
        connection.Closed += handler.OnClose;
        if (connection.IsClosed)
        {
            handler.OnClose(connection);
            return;
        }
        using Heartbeat? heartbeat = Heartbeat.Start(connection, heartbeatMs);
        try
        {
            handler.OnOpen(connection);
            while (!cancellation.IsCancellationRequested)
            {
                Frame frame = await connection.ReadAsync(cancellation).ConfigureAwait(false);
                if (frame.IsEnd)
                {
                    connection.Close("peer closed");
                    return;
                }
                DeferredFlush.Begin();
                try
                {
                    handler.OnFrame(connection, frame);
                }
                finally
                {
                    if (!connection.HasBufferedFrame)
                    {
                        DeferredFlush.End();
                        connection.Flush();
                    }
                }
            }
        }
        catch (ProtocolException e)
        {
            DeferredFlush.End();
            counters.CountProtocolError();
            Log.Warn($"closing {connection.Name}: protocol error: {e.Message}");
            connection.Close($"protocol error: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            DeferredFlush.End();
            connection.Close("shutting down");
        }
        catch (Exception e)
        {
            DeferredFlush.End();
            Log.Warn($"closing {connection.Name}: internal error: {e}");
            connection.Close($"internal error: {e.Message}");
        }
    }
}
