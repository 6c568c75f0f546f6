using System.Buffers.Binary;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

// The role's effects, called under the lock: each becomes a frame in the outbox (or completes an in-process call).
public sealed partial class FusedBitList
{
    /// <summary>An error answer: to a client's connection, or as the exception of an in-process call.</summary>
    private void Fail(long client, ulong requestId, ErrorCode code, string message)
    {
        EndTracking(client, requestId);
        if (client == Library)
        {
            if (_waiters.Remove(requestId, out OpCompletion? waiter))
                waiter.Fail(code == ErrorCode.OutOfRange ? new ArgumentOutOfRangeException("index", message) : new InvalidOperationException($"{code}: {message}"));
            return;
        }
        if (!_clients.TryGetValue(client, out Connection? c)) return;
        byte[] text = System.Text.Encoding.UTF8.GetBytes(message.Length > 1000 ? message[..1000] : message);
        Span<byte> head = stackalloc byte[11];
        var w = new PayloadWriter(head);
        w.U64(requestId);
        w.U8((byte)code);
        w.U16((ushort)text.Length);
        _outbox.Frame(c, MessageType.Error, head, text);
    }

    private void EndTracking(long client, ulong requestId)
    {
        if (!_tracked.Remove((client, requestId), out Tracked t)) return;
        if (t.Write) UpdateTimes.Record(t.Started);
        if (t.BulkRead && _clients.TryGetValue(client, out Connection? c)) c.EndBulkRead();
    }

    private Connection? ToBackup(int backup) => _backups[backup];

    private sealed class Output(FusedBitList owner) : IPrimaryOutput
    {
        public long LastHeard(int backup) => owner.ToBackup(backup) is { } c ? owner._stalls.Heard(c.LastHeardMs) : Environment.TickCount64;

        public void Attach(int backup, long life, long seq, long length, bool recovering)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Span<byte> head = stackalloc byte[FusionWire.AttachBytes];
            owner._outbox.Frame(c, MessageType.Attach, head[..FusionWire.WriteAttach(head, life, seq, length, recovering)]);
        }

        public void Delta(int backup, long seq, long watermark, in Delta delta)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Span<byte> head = stackalloc byte[DeltaWire.HeadBytes];
            DeltaWire.WriteHead(head, seq, watermark, delta);
            owner._outbox.Frame(c, MessageType.Delta, head, System.Runtime.InteropServices.MemoryMarshal.AsBytes(delta.Words));
        }

        /// <summary>
        /// A cut's snapshot (token ≠ 0) lets later deltas pass its chunks after the first: the backup folds it in
        /// chunk by chunk and applies those deltas to its coded state meanwhile, so this primary's writes never wait
        /// for its whole list; it goes in chunks of 256 KiB, at most a window of them unacknowledged by the backup
        /// (SnapshotProgress), so a delta waits behind at most that much. A load (token 0) stays ahead of every later frame: the backup acknowledges nothing
        /// before it holds the list.
        /// </summary>
        public void Snapshot(int backup, ulong token, long life, long seq, ReadOnlySpan<ulong> words, long length, long basisLife, long basisSeq)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            int chunkWords = ChunkCodec.ChunkWords(owner.Cluster.Config.MaxFrameBytes, FusionWire.SnapshotHeadBytes);
            Span<byte> head = stackalloc byte[FusionWire.SnapshotHeadBytes];
            owner._outbox.Chunked(c, MessageType.Snapshot, head[..FusionWire.WriteSnapshotHead(head, token, life, seq, length, basisLife, basisSeq)],
                words[..Core.Bits.Delta.WordsFor(length)], token == 0 ? chunkWords : Math.Min(chunkWords, ListsUnderWay.OvertakableChunkWords),
                overtakable: token != 0);
        }

        public void Serving(int backup, long oldLife, long newLife, long seq)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Span<byte> head = stackalloc byte[FusionWire.ServingBytes];
            owner._outbox.Frame(c, MessageType.Serving, head[..FusionWire.WriteServing(head, oldLife, newLife, seq)]);
        }

        public void Reencode(int backup)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Log.Info($"backup {backup} holds a contribution of primary {owner.PrimaryIndex} this primary cannot trust or catch up: asking it to re-encode");
            owner._outbox.Frame(c, MessageType.Reencode, default);
        }

        public void Status(int backup, ulong requestId)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Span<byte> head = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(head, requestId);
            owner._outbox.Frame(c, MessageType.Status, head);
        }

        public void AttemptStarted() => owner._clock.AttemptStarted();

        public void RetainedRequest(int backup, ulong requestId, int primary, long from, long to)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Span<byte> head = stackalloc byte[FusionWire.RetainedRequestBytes];
            owner._outbox.Frame(c, MessageType.RetainedRequest, head[..FusionWire.WriteRetainedRequest(head, requestId, primary, from, to)]);
        }

        private (int Backup, int Primary, long Seq) _lastForward = (-1, -1, 0);

        public void Forward(int backup, ulong requestId, int primary, long life, DeltaRecord delta)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            if (_lastForward != (backup, primary, delta.Seq - 1))
                Log.Info($"reconciled primary {primary} on backup {backup}: forwarding its retained deltas from seq {delta.Seq}");
            _lastForward = (backup, primary, delta.Seq);
            Delta view = delta.View;
            Span<byte> head = stackalloc byte[FusionWire.ForwardHeadBytes];
            owner._outbox.Frame(c, MessageType.Forward, head[..FusionWire.WriteForwardHead(head, requestId, primary, life, delta.Seq, view)],
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(view.Words));
        }

        public void Adopt(int backup, ulong requestId, int primary, long oldLife, long seq, long newLife)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Log.Info($"reconciled primary {primary} on backup {backup}: it holds life {oldLife:x} seq {seq}, the basis of life {newLife:x}, and adopts it");
            Span<byte> head = stackalloc byte[FusionWire.AdoptBytes];
            owner._outbox.Frame(c, MessageType.Adopt, head[..FusionWire.WriteAdopt(head, requestId, primary, oldLife, seq, newLife)]);
        }

        public void ResidualRequest(int backup, ulong requestId, ReadOnlySpan<int> lost)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            owner._clock.CutAsked();
            Span<byte> head = stackalloc byte[FusionWire.ResidualRequestBytes(lost.Length)];
            owner._outbox.Frame(c, MessageType.ResidualRequest, head[..FusionWire.WriteResidualRequest(head, requestId, lost)]);
        }

        public void Close(int backup, string reason)
        {
            if (owner.ToBackup(backup) is not { } c) return;
            Log.Warn($"dropping backup {backup}: {reason}");
            owner._closedLinkBytes += c.BytesSent + c.BytesReceived;
            owner._backups[backup] = null;
            owner._backupLinks[backup] = 0;
            owner._outbox.Close(c, reason);
        }

        public void Done(long client, ulong requestId, long value)
        {
            owner.EndTracking(client, requestId);
            if (client == Library)
            {
                if (owner._waiters.Remove(requestId, out OpCompletion? waiter)) waiter.Complete(value);
                return;
            }
            if (!owner._clients.TryGetValue(client, out Connection? c)) return;
            Span<byte> reply = stackalloc byte[16];
            var w = new PayloadWriter(reply);
            w.U64(requestId);
            w.I64(value);
            owner._outbox.Frame(c, MessageType.Ok, reply);
        }

        public void Bits(long client, ulong requestId, SharedSnapshot snapshot)
        {
            owner.EndTracking(client, requestId);
            if (!owner._clients.TryGetValue(client, out Connection? c))
            {
                snapshot.Release();
                return;
            }
            Span<byte> head = stackalloc byte[BitsChunkWire.HeadBytes];
            // Streamed from the reads' shared copy itself, which the stream releases after its last chunk.
            owner._outbox.Streamed(c, MessageType.BitsChunk, head[..BitsChunkWire.WriteHead(head, requestId, snapshot.Length, snapshot.Version)],
                snapshot.Array, Core.Bits.Delta.WordsFor(snapshot.Length), ChunkCodec.ChunkWords(owner.Cluster.Config.MaxFrameBytes, BitsChunkWire.HeadBytes),
                release: _ => snapshot.Release());
        }

        /// <summary>
        /// Not done: a write not applied (safe to retry), or a read while recovering (not ready). Unknown: applied here,
        /// but the backups that would make it durable were lost before they acknowledged it.
        /// </summary>
        public void Failed(long client, ulong requestId, Outcome outcome, string message)
        {
            bool write = !owner._tracked.TryGetValue((client, requestId), out Tracked t) || t.Write;
            ErrorCode code = outcome switch
            {
                Outcome.OutOfRange => ErrorCode.OutOfRange,
                Outcome.Unknown => ErrorCode.Unknown,
                _ => write ? ErrorCode.NotDone : ErrorCode.NotReady,
            };
            owner.Fail(client, requestId, code, message);
        }

        public void Recovered(RecoveryResult result)
        {
            long received = 0;
            foreach (Connection? c in owner._backups)
                if (c is not null) received += c.BytesReceived;
            var report = new RecoveryReport(result.Rebuilt, result.Lost, result.Suspected, result.Length, result.Seq, result.Life,
                owner._clock.Finish(), result.Attempts, received);
            Log.Info($"primary {owner.PrimaryIndex} {(result.Rebuilt ? $"rebuilt {result.Length} bits at seq {result.Seq} (lost set {string.Join(",", result.Lost)})" : "starts empty")} " +
                     $"in life {result.Life:x} after {result.Attempts} attempts in {report.Total.TotalMilliseconds:0.###} ms" +
                     (result.Suspected.Length > 0 ? $", without suspected backups {string.Join(",", result.Suspected)}" : ""));
            owner._recovered.TrySetResult(report);
        }
    }
}
