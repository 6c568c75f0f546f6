using BitFusion.Core.Replication;
using System.Buffers.Binary;
using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Replication;

/// <summary>
/// Reads: relayed to one serving replica of the group, round robin. A write is acknowledged only once every
/// replica in the view has delivered it, and a replica serves only once it has caught up, so whichever replica
/// answers, it holds every write acknowledged before the read arrived.
/// </summary>
internal sealed partial class ManagerNode
{
    private const int MaxReadAttempts = 4;

    private readonly Dictionary<ulong, PendingRead> _reads = [];
    private readonly Stack<PendingRead> _readPool = new();
    private readonly List<ulong> _scratchReads = [];
    private ulong _nextReadId;

    private void Relay(Connection client, ulong requestId, int group, MessageType kind, int index)
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
            (read.Client, read.RequestId, read.Group, read.Kind, read.Index, read.Attempts) = (client, requestId, group, kind, index, 0);
            DispatchLocked(read);
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    /// <summary>Sends the read to the next serving replica of its group, or fails it when there is none.</summary>
    private void DispatchLocked(PendingRead read)
    {
        if (_membership.View is { } view && ++read.Attempts <= MaxReadAttempts)
        {
            ReadOnlySpan<ViewMember> members = view.Skeen.MembersOf(read.Group);
            GroupStats stats = _groups[read.Group];
            for (int k = 0; k < members.Length; k++)
            {
                int node = members[(stats.NextReader + k) % members.Length].Node;
                NodeLink link = _nodes[node];
                if (ReadyLink(node) is not { } c || !_membership.TryGetStatus(node, out NodeStatus status) || status.Phase != NodePhase.Serving
                    || status.Life != link.SyncedLife)
                    continue;
                stats.NextReader = (stats.NextReader + k + 1) % members.Length;
                ulong id = ++_nextReadId;
                read.Node = node;
                _reads.Add(id, read);
                Span<byte> p = stackalloc byte[12];
                BinaryPrimitives.WriteUInt64LittleEndian(p, id);
                BinaryPrimitives.WriteInt32LittleEndian(p[8..], read.Index);
                c.Enqueue(read.Kind, p[..(read.Kind == MessageType.Get ? 12 : 8)]);
                _flushes.Add(c);
                return;
            }
        }
        if (read.Client is { IsClosed: false } client)
        {
            Replies.Error(client, read.RequestId, ErrorCode.NotReady, $"no replica of group {read.Group} is serving", flush: false);
            _flushes.Add(client);
        }
        RecycleLocked(read);
    }

    /// <summary>A replica's Ok, Error or Bits: passed on to the client under the client's request id.</summary>
    internal void OnReadReply(NodeLink link, Connection connection, in Frame frame)
    {
        if (frame.Payload.Length < 8) throw new ProtocolException($"Reply type {(byte)frame.Type} has no request id.");
        ReadOnlySpan<byte> payload = frame.Payload.Span;
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        bool retry = frame.Type == MessageType.Error && payload.Length > 8 && payload[8] == (byte)ErrorCode.NotReady;
        FlushSet.Batch batch;
        lock (_gate)
        {
            if (link.Connection == connection && _reads.Remove(id, out PendingRead? read))
            {
                if (retry) DispatchLocked(read);
                else
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
            }
            batch = _flushes.Take();
        }
        batch.Flush();
    }

    /// <summary>Reads waiting on a replica that went away (or started over) go to another one.</summary>
    private void RedispatchReadsLocked(int node)
    {
        _scratchReads.Clear();
        foreach ((ulong id, PendingRead read) in _reads)
            if (read.Node == node) _scratchReads.Add(id);
        foreach (ulong id in _scratchReads)
            if (_reads.Remove(id, out PendingRead? read)) DispatchLocked(read);
    }

    private void RecycleLocked(PendingRead read)
    {
        if (read.Kind == MessageType.ReadAll) read.Client?.EndBulkRead();
        read.Client = null;
        _readPool.Push(read);
    }
}
