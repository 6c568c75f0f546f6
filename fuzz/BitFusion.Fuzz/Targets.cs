using BitFusion.Core.Abcast;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Fuzz;

/// <summary>
/// Every wire reader, and the frame handlers of in-process nodes, behind one entry point. An input is
/// <c>target u8 | peer role u8 | frame type u8 | payload</c>; the only exception a target may let escape is
/// <see cref="ProtocolException"/> (a handshake refusal is the handshake's own answer, not a failure).
/// </summary>
internal sealed class Targets : IDisposable
{
    private readonly Cluster _cluster;
    private readonly BackupNode _backup;
    private readonly DataNode _dataNode;
    private readonly ManagerNode _manager;
    private readonly IFrameHandler[] _handlers;
    private readonly NodeRole[] _serverRoles = [NodeRole.Backup, NodeRole.DataNode, NodeRole.Manager];
    private readonly Sink _sink = new();
    private readonly byte[] _serverNonce = new byte[32];

    public Targets()
    {
        _cluster = Cluster.FromConfig(ClusterLayout.Build(2, 1, 1, 1, "127.0.0.1", 0, key: KeyHex));
        // Constructed, never started: their servers listen but accept nothing, so only the fuzzer's frames reach them.
        _backup = new BackupNode(_cluster, _cluster.Backups[0].Id);
        _dataNode = new DataNode(_cluster, _cluster.DataNodes[0].Id);
        _manager = new ManagerNode(_cluster, _cluster.Managers[0].Id);
        _handlers =
        [
            new RoleGuard(NodeRole.Backup, _backup),
            new RoleGuard(NodeRole.DataNode, _dataNode),
            new RoleGuard(NodeRole.Manager, _manager),
        ];
    }

    public const int Count = 22;

    /// <summary>A fixed cluster key, so seeds can carry valid MACs.</summary>
    public static readonly string KeyHex = new('a', 64);

    /// <summary>Peer ids the configuration knows for each role, so handler targets get past "who are you".</summary>
    private ushort IdFor(NodeRole role) => role switch
    {
        NodeRole.Primary => (ushort)_cluster.Primaries[0].Id,
        NodeRole.Backup => (ushort)_cluster.Backups[0].Id,
        NodeRole.Manager => (ushort)_cluster.Managers[0].Id,
        NodeRole.DataNode => (ushort)_cluster.DataNodes[1].Id,
        _ => 9,
    };

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 3) return;
        int target = input[0] % Count;
        var role = (NodeRole)(1 + input[1] % 5);
        var type = (MessageType)input[2];
        byte[] payload = input[3..].ToArray();
        var frame = new Frame(type, payload);
        try
        {
            Dispatch(target, role, frame);
        }
        catch (ProtocolException)
        {
            // The one way a reader may refuse its input.
        }
    }

    private void Dispatch(int target, NodeRole role, in Frame frame)
    {
        ReadOnlySpan<byte> p = frame.Payload.Span;
        switch (target)
        {
            case 0 or 1 or 2:
            {
                Connection c = _sink.Connection(new PeerIdentity(role, IdFor(role)));
                try
                {
                    _handlers[target].OnFrame(c, frame);
                }
                finally
                {
                    // As the frame loop does: every frame here ends its read batch.
                    _handlers[target].OnBatchEnd(c);
                }
                break;
            }
            case 3:
                Handshake.Judge(p, _cluster.Key, new PeerIdentity(_serverRoles[((int)role - 1) % 3], 1), _serverNonce, _cluster.Knows, out _);
                break;
            case 4:
                Handshake.ReadChallenge(p);
                break;
            case 5:
                Handshake.ReadReject(p);
                break;
            case 6:
            {
                var r = new PayloadReader(p);
                DeltaWire.Read(ref r, ListLimits.MaxCount, out _, out _);
                break;
            }
            case 7:
            {
                var r = new PayloadReader(p);
                int words = r.Count("words", 1 << 20);
                BulkCodec.Read(ref r, words, 1 << 24);
                break;
            }
            case 8: NodeStats.Read(p); break;
            case 9: SampleReply.Read(p); break;
            case 10: Replies.ReadError(p); break;
            case 11: MembershipWire.ReadStatus(frame); break;
            case 12: MembershipWire.ReadView(frame); break;
            case 13: MembershipWire.ReadReport(frame); break;
            case 14: AbcastWire.ReadFinals(frame); break;
            case 15: AbcastWire.ReadProposals(frame); break;
            case 16: AbcastWire.ReadDelivered(frame); break;
            case 17: OrphanWire.ReadDecision(frame); break;
            case 18: StateTransfer.ReadHeader(frame, 1 << 24, ListLimits.MaxCount); break;
            case 19:
            {
                var r = new PayloadReader(p);
                ChunkCodec.Chunk chunk = ChunkCodec.Read(ref r, 1 << 14);
                InboundList.For(null, 1, chunk).Accept(chunk);
                break;
            }
            case 20: FrameBatch.Check(p); break;
            case 21:
                foreach (DataMessage<WriteOp> m in AbcastWire.ReadData(frame, 1 << 16)) m.Payload.Release();
                break;
        }
    }

    public void Dispose()
    {
        _backup.Dispose();
        _dataNode.Dispose();
        _manager.Dispose();
        _sink.Dispose();
    }
}
