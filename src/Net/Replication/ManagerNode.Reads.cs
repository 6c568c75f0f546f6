using BitFusion.Core.Replication;
using System.Buffers.Binary;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// Reads: the adapter of <see cref="ReadRelay{TRead}"/>, which picks the serving replica of the group (round robin)
/// and moves a read on when its replica is not ready or goes away. This file parses, encodes and forwards replies.
/// </summary>
internal sealed partial class ManagerNode
{
    private readonly Stack<PendingRead> _readPool = new();

    private void Relay(Connection client, ulong requestId, int group, MessageType kind, long index)
    {
        if (kind == MessageType.ReadAll && !client.TryBeginBulkRead())
        {
            Replies.Error(client, requestId, ErrorCode.NotReady, "too many whole-list reads outstanding on this connection");
            return;
        }
        FlushSet.Batch batch;
        lock (_gate)
        {
            PendingRead read = _readPool.Count > 0 ? _readPool.Pop() : new PendingRead();
            (read.Client, read.RequestId, read.Kind, read.Index) = (client, requestId, kind, index);
            _reads.Request(read, group, _membership.View);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    /// <summary>A replica's Ok, Error or Bits: passed on to the client under the client's request id.</summary>
    internal void OnReadReply(NodeLink link, Connection connection, in Frame frame)
    {
        if (frame.Payload.Length < 8) throw new ProtocolException($"Reply type {(byte)frame.Type} has no request id.");
        ReadOnlySpan<byte> payload = frame.Payload.Span;
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        bool notReady = frame.Type == MessageType.Error && payload.Length > 8 && payload[8] == (byte)ErrorCode.NotReady;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection && _reads.Answered(link.NodeId, id, notReady, _membership.View, out PendingRead read))
            {
                if (read.Client is { IsClosed: false } client)
                {
                    Span<byte> head = stackalloc byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(head, read.RequestId);
                    client.Enqueue(frame.Type, head, payload[8..]);
                    _flushes.Add(client);
                }
                RecycleLocked(read);
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    private void RecycleLocked(PendingRead read)
    {
        if (read.Kind == MessageType.ReadAll) read.Client?.EndBulkRead();
        read.Client = null;
        _readPool.Push(read);
    }

    /// <summary>The read relay's effects, always called under the manager's lock.</summary>
    private sealed class ReadEffects(ManagerNode manager) : IReadRelayOutput<PendingRead>
    {
        public bool CanServe(int node) =>
            manager.ReadyLink(node) is not null && manager._membership.TryGetStatus(node, out NodeStatus status)
            && status.Phase == NodePhase.Serving && status.Life == manager._nodes[node].SyncedLife;

        public void SendRead(int node, ulong readId, PendingRead read)
        {
            if (manager.ReadyLink(node) is not { } c) return;
            Span<byte> p = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(p, readId);
            BinaryPrimitives.WriteInt64LittleEndian(p[8..], read.Index);
            c.Enqueue(read.Kind, p[..(read.Kind == MessageType.Get ? 16 : 8)]);
            manager._flushes.Add(c);
        }

        public void Refuse(PendingRead read, int group)
        {
            if (read.Client is { IsClosed: false } client)
            {
                Replies.Error(client, read.RequestId, ErrorCode.NotReady, $"no replica of group {group} is serving", flush: false);
                manager._flushes.Add(client);
            }
            manager.RecycleLocked(read);
        }
    }
}
