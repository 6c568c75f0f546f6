using BitFusion.Net.Protocol;

namespace BitFusion.Net.Transport;

/// <summary>
/// What a service does with an authenticated connection's frames. <see cref="OnFrame"/> runs on the connection's
/// read loop, one frame at a time, and must validate a whole payload before changing any state: throwing
/// <see cref="ProtocolException"/> closes only this connection.
/// </summary>
internal interface IFrameHandler
{
    void OnOpen(Connection connection);

    void OnFrame(Connection connection, in Frame frame);

    /// <summary>
    /// The read batch ends (no further whole frame is buffered, or the batch is full): a handler that collected
    /// frames of one kind applies them here, under one lock, before the batch's sends are flushed.
    /// </summary>
    void OnBatchEnd(Connection connection)
    {
    }

    void OnClose(Connection connection);
}
