using System.Net;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Serves a <see cref="FusedBitList"/> to clients over the protocol: writes complete when every streaming backup
/// holds them, reads answer once every earlier write does. Many requests may be in flight per connection.
/// </summary>
internal sealed class PrimaryNode : IFrameHandler, IDisposable
{
    private readonly FusedBitList _list;
    private readonly FrameServer _server;
    private readonly int _maxRunBits;

    private PrimaryNode(FusedBitList list, Cluster cluster, int nodeId, IPEndPoint bind)
    {
        _list = list;
        _maxRunBits = (int)Math.Min(int.MaxValue - 64L, cluster.Config.MaxFrameBytes * 8L);
        _server = new FrameServer(bind, cluster.Key, new PeerIdentity(NodeRole.Primary, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes, cluster.Config.HeartbeatMs,
            maxHandshakes: cluster.Config.MaxHandshakes, maxQueuedBytes: cluster.Config.MaxSendQueueBytes ?? 0);
    }

    public FusedBitList List => _list;

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public NetCounters Counters => _server.Counters;

    /// <summary>Recovers the list (or starts it empty on a new cluster), then listens for clients.</summary>
    public static async Task<PrimaryNode> StartAsync(Cluster cluster, int nodeId, IPEndPoint? bind = null, CancellationToken cancellation = default)
    {
        FusedBitList list = await FusedBitList.OpenAsync(cluster, nodeId, cancellation).ConfigureAwait(false);
        var node = new PrimaryNode(list, cluster, nodeId, bind ?? Cluster.BindEndPointOf(cluster.Node(nodeId)));
        node._server.Start();
        return node;
    }

    public void OnOpen(Connection connection) => _list.ClientOpened(connection);

    public void OnClose(Connection connection) => _list.ClientClosed(connection);

    public void OnFrame(Connection connection, in Frame frame)
    {
        ClientRequest request = ClientRequestCodec.Read(frame, grouped: false, _maxRunBits);
        switch (request.Type)
        {
            case MessageType.Stats:
            {
                long length = _list.Count;
                NodeStats.Send(connection, request.RequestId, length, Core.Bits.Delta.WordsFor(length), Counters);
                return;
            }
            case MessageType.Samples:
                SampleReply.Send(connection, request.RequestId, _list.DrainUpdateTimes());
                return;
            case MessageType.RejoinTimes:
                throw new ProtocolException("RejoinTimes is a manager's request; a primary keeps no rejoins.");
            case MessageType.AppendMany when request.Bits == 0:
                Replies.Error(connection, request.RequestId, ErrorCode.BadRequest, "AppendMany needs at least one bit");
                return;
        }
        _list.Serve(connection, request);
    }

    public void Dispose()
    {
        _server.Dispose();
        _list.Dispose();
    }
}
