using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

// Frames from the backups: parsed and checked outside the lock, then handed to the role.
public sealed partial class FusedBitList
{
    internal void FromBackup(int backup, Connection connection, in Frame frame)
    {
        // The acknowledgement path captures nothing, so it allocates nothing; every other frame is rare.
        if (frame.Type != MessageType.Ack)
        {
            FromBackupRarely(backup, connection, frame);
            return;
        }
        long seq = (long)FusionWire.ReadU64(frame);
        lock (_gate)
        {
            if (LinkOf(backup, connection) is long link and > 0) _role.Ack(backup, link, seq);
            Pump();
        }
        _outbox.Drain();
    }

    private void FromBackupRarely(int backup, Connection connection, in Frame frame)
    {
        int n = Cluster.Primaries.Count, f = Cluster.Faults;
        long maxBits = _limits.MaxListBits;
        switch (frame.Type)
        {
            case MessageType.Attached:
            {
                (PrimaryView view, bool complete) = FusionWire.ReadAttached(frame, maxBits);
                Run(backup, connection, link => _role.Attached(backup, link, view, complete, Environment.TickCount64));
                break;
            }
            case MessageType.SnapshotRequest:
            {
                ulong token = FusionWire.ReadU64(frame);
                if (token == 0) throw new ProtocolException("Snapshot token 0 is reserved for full loads.");
                Run(backup, connection, link => _role.SnapshotRequest(backup, link, token));
                break;
            }
            case MessageType.SnapshotProgress:
            {
                var r = frame.Reader();
                ulong token = r.U64();
                int words = r.Count("words", int.MaxValue);
                r.End();
                _outbox.Acknowledge(connection, token, words);
                break;
            }
            case MessageType.StatusReply:
            {
                (ulong id, BackupReport report) = FusionWire.ReadStatusReply(frame, n, f, maxBits);
                if (report.Backup != backup) throw new ProtocolException($"Backup {backup} reports itself as backup {report.Backup}.");
                Run(backup, connection, link => _role.StatusReply(backup, link, id, report));
                break;
            }
            case MessageType.Retained:
            {
                (ulong id, List<DeltaRecord> deltas) = FusionWire.ReadRetained(frame, maxBits);
                Run(backup, connection, link => _role.Retained(backup, link, id, deltas));
                break;
            }
            case MessageType.Ok:
            {
                var r = frame.Reader();
                ulong id = r.U64();
                long seq = r.I64();
                r.End();
                Run(backup, connection, link => _role.Forwarded(backup, link, id, seq));
                break;
            }
            case MessageType.Residual:
            {
                FusionWire.ResidualHead residual = FusionWire.ReadResidual(frame, n, maxBits, out ChunkCodec.Chunk chunk);
                if (Inbound(backup, connection, residual.RequestId, chunk) is not { } list) break;
                // The role keeps the words until every chosen backup has answered: they were written for it alone.
                Run(backup, connection, link =>
                {
                    _clock.CutAnswered();
                    _role.Residual(backup, link, residual.RequestId, residual.Seqs, residual.Lengths, list.Words);
                });
                break;
            }
            case MessageType.Error:
            {
                (ulong id, ErrorCode code, string message) = Replies.ReadError(frame.Payload.Span);
                Refusal why = FusionWire.ToRefusal(code);
                Run(backup, connection, link => _role.Refused(backup, link, id, why, message));
                break;
            }
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)frame.Type} from a backup.");
        }
    }

    /// <summary>
    /// Writes a residual chunk into the list arriving from <paramref name="backup"/> on <paramref name="connection"/>;
    /// the whole residual once its last chunk is in, else null. A new connection starts from nothing.
    /// </summary>
    private InboundList? Inbound(int backup, Connection connection, ulong requestId, in ChunkCodec.Chunk chunk)
    {
        InboundList list;
        lock (_inbound)
        {
            (Connection? on, InboundList? current) = _inbound[backup];
            list = InboundList.For(on == connection ? current : null, requestId, chunk);
            _inbound[backup] = (connection, list);
        }
        if (!list.Accept(chunk)) return null;
        lock (_inbound)
            if (_inbound[backup].List == list) _inbound[backup] = default;
        return list;
    }

    /// <summary>A recovery-time input (rare, so a closure is fine): runs it under the lock if the connection is still the backup's link.</summary>
    private void Run(int backup, Connection connection, Action<long> input)
    {
        lock (_gate)
        {
            if (LinkOf(backup, connection) is long link and > 0) input(link);
            Pump();
        }
        _outbox.Drain();
    }

    private long LinkOf(int backup, Connection connection) => !_disposed && _backups[backup] == connection ? _backupLinks[backup] : 0;
}
