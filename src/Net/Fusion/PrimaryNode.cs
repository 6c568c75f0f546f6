using System.Net;
using BitFusion.Net.Config;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Serves a <see cref="FusedBitList"/> to clients over the protocol: writes complete when every backup holds
/// them, reads answer once every earlier write does. Many requests may be in flight per connection.
/// </summary>
public sealed class PrimaryNode : IFrameHandler, IDisposable
{
    private readonly FusedBitList _list;
    private readonly FrameServer _server;

    private PrimaryNode(FusedBitList list, Cluster cluster, int nodeId, IPEndPoint bind)
    {
        _list = list;
        _server = new FrameServer(bind, cluster.Key, new PeerIdentity(NodeRole.Primary, (ushort)nodeId),
            cluster.Knows, this, cluster.Config.MaxFrameBytes);
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

    public void OnOpen(Connection connection)
    {
    }

    public void OnClose(Connection connection)
    {
    }

    public void OnFrame(Connection connection, in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        ListOp op;
        int index = 0;
        bool bit = false;
        switch (frame.Type)
        {
            case MessageType.Append:
                op = ListOp.Append;
                bit = r.Bool();
                break;
            case MessageType.Set:
                op = ListOp.Set;
                index = r.I32();
                bit = r.Bool();
                break;
            case MessageType.Insert:
                op = ListOp.Insert;
                index = r.I32();
                bit = r.Bool();
                break;
            case MessageType.RemoveAt:
                op = ListOp.RemoveAt;
                index = r.I32();
                break;
            case MessageType.SwapRemoveAt:
                op = ListOp.SwapRemoveAt;
                index = r.I32();
                break;
            case MessageType.AppendMany:
            {
                int bits = r.Count("bits", 1 << 30);
                ReadOnlySpan<ulong> packed = r.Words(Core.Bits.Delta.WordsFor(bits));
                r.End();
                if (bits == 0)
                {
                    Replies.Error(connection, id, ErrorCode.BadRequest, "AppendMany needs at least one bit");
                    return;
                }
                Submit(connection, id, ListOp.Append, 0, false, packed, bits);
                return;
            }
            case MessageType.Stats:
            {
                r.End();
                int length = _list.Count;
                NodeStats.Send(connection, id, length, Core.Bits.Delta.WordsFor(length), Counters);
                return;
            }
            case MessageType.Samples:
                r.End();
                SampleReply.Send(connection, id, _list.DrainUpdateTimes());
                return;
            case MessageType.Get or MessageType.Count or MessageType.ReadAll:
            {
                if (frame.Type == MessageType.Get) index = r.I32();
                r.End();
                if (!_list.TryRead(frame.Type, index, connection, id, out string? error))
                    Replies.Error(connection, id, error!.StartsWith("Index", StringComparison.Ordinal) ? ErrorCode.OutOfRange : ErrorCode.NotReady, error);
                return;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} for a primary.");
        }
        r.End();
        Submit(connection, id, op, index, bit, default, 0);
    }

    private void Submit(Connection connection, ulong id, ListOp op, int index, bool bit, ReadOnlySpan<ulong> packed, int bits)
    {
        if (!_list.TrySubmit(op, index, bit, packed, bits, connection, id, null, out ErrorCode code, out string? error))
            Replies.Error(connection, id, code, error!);
    }

    public void Dispose()
    {
        _server.Dispose();
        _list.Dispose();
    }
}
