using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests;

/// <summary>A server-side handler that accepts connections and never answers, for tests of the transport alone.</summary>
internal sealed class SilentHandler : IFrameHandler
{
    public void OnOpen(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
    }

    public void OnClose(Connection connection)
    {
    }
}
