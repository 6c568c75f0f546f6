using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// Reads frames and hands them to a handler until the connection ends; any failure closes just this connection.
/// With <c>heartbeatMs</c> &gt; 0 the connection sends heartbeats while idle (the reader swallows received ones).
/// </summary>
internal static class FrameLoop
{
    // A batch (frames handled before the deferred flush) ends at this many frames even if more are buffered: a
    // peer that pipelines thousands of requests in one send still sees its replies, and the deltas they cause
    // reach the backups, while the window has room.
    private const int MaxBatchFrames = 64;

    private static long s_batches;

    /// <summary>
    /// Read batches every frame loop of this process has handled: about one per time a loop woke for its socket,
    /// so against the frames received it says how many frames each wake-up carried.
    /// </summary>
    public static long TotalBatches => Interlocked.Read(ref s_batches);

    public static async Task RunAsync(Connection connection, IFrameHandler handler, NetCounters counters, CancellationToken cancellation,
        int heartbeatMs = 0)
    {
        connection.Closed += handler.OnClose;
        if (connection.IsClosed)
        {
            handler.OnClose(connection);
            connection.ReleaseReceiveBuffer();
            return;
        }
        using Heartbeat? heartbeat = Heartbeat.Start(connection, heartbeatMs);
        try
        {
            handler.OnOpen(connection);
            int batch = 0;
            // Stops only between batches, so a handler never keeps frames it collected and did not apply.
            while (batch != 0 || !cancellation.IsCancellationRequested)
            {
                ValueTask<Frame> read = connection.ReadAsync(cancellation);
                // A batch never spans a wait or the loop's end: DeferredFlush is per thread, a continuation may run on
                // another one, and a batch left open there defers every later flush of that pool thread for good.
                if (batch != 0 && !read.IsCompleted) batch = EndBatch(connection, handler);
                Frame frame = await read.ConfigureAwait(false);
                if (frame.IsEnd)
                {
                    if (batch != 0) EndBatch(connection, handler);
                    connection.Close("peer closed");
                    return;
                }
                DeferredFlush.Begin();
                bool handled = false;
                try
                {
                    handler.OnFrame(connection, frame);
                    handled = true;
                }
                finally
                {
                    // A frame that breaks the protocol ends the batch too: the valid frames collected before it still count.
                    if (!handled || ++batch >= MaxBatchFrames || !connection.HasBufferedFrame) batch = EndBatch(connection, handler);
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
        finally
        {
            connection.ReleaseReceiveBuffer();
        }
    }

    private static int EndBatch(Connection connection, IFrameHandler handler)
    {
        Interlocked.Increment(ref s_batches);
        handler.OnBatchEnd(connection);
        DeferredFlush.End();
        connection.Flush();
        return 0;
    }
}
