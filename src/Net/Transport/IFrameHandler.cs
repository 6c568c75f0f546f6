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

    void OnClose(Connection connection);
}
