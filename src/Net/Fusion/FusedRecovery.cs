using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Net.Fusion;

/// <summary>
/// Brings a starting primary's list back. If no backup has ever held it and all f are reachable, the cluster is
/// new and the list starts empty. Otherwise: (1) ask every reachable backup for its status; the lost set L is
/// every primary some complete backup sees as not serving; (2) reconcile: for each lost primary, roll every
/// backup that lags forward to the highest seq any backup reached, with deltas that backup retained, so all agree;
/// (3) ask |L| complete backups for a non-blocking residual cut, which cancels the serving primaries out without
/// pausing them; (4) invert the |L| × |L| submatrix of the code. Any conflict (a process died or came back
/// meanwhile) restarts the attempt from fresh statuses.
/// </summary>
internal sealed class FusedRecovery(FusedBitList owner)
{
    private readonly Stopwatch _clock = new();
    private TimeSpan _reconcile, _cut;
    private long _bytes;

    public async Task<RecoveryReport> RunAsync(CancellationToken cancellation)
    {
        _clock.Start();
        var lastLog = TimeSpan.Zero;
        for (int attempt = 1; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            string reason;
            try
            {
                (RecoveryReport? report, reason) = await TryOnceAsync(attempt, cancellation).ConfigureAwait(false);
                if (report is not null) return report;
            }
            catch (Exception e) when (e is IOException or ProtocolException or InvalidOperationException && !cancellation.IsCancellationRequested)
            {
                reason = e.Message;
            }
            if (_clock.Elapsed - lastLog > TimeSpan.FromSeconds(2))
            {
                Log.Info($"recovery of primary {owner.PrimaryIndex} waiting: {reason}");
                lastLog = _clock.Elapsed;
            }
            await Task.Delay(attempt < 50 ? 1 : 20, cancellation).ConfigureAwait(false);
        }
    }

    private async Task<(RecoveryReport?, string)> TryOnceAsync(int attempt, CancellationToken cancellation)
    {
        int me = owner.PrimaryIndex, n = owner.Code.Primaries, f = owner.Code.Faults;
        BackupLink[] live;
        BackupLink? undecided;
        lock (owner.Gate)
        {
            live = owner.Links.Where(l => l.Attached && l.Connection is not null).ToArray();
            undecided = owner.Links.FirstOrDefault(l => !live.Contains(l) && !l.Unreachable);
        }
        // A backup left out would keep whatever deltas of a lost primary it alone received, or miss the ones the
        // others roll forward to, and disagree with the rebuilt list forever after. So every backup that is not
        // known to be down takes part; one that is down gets re-encoded from scratch when it restarts.
        if (undecided is not null) return (null, $"backup {undecided.Index} has not attached yet and is not known to be down");
        if (live.Length == 0) return (null, "no backup is reachable yet");

        BackupStatus[] statuses = await Task.WhenAll(live.Select(async l =>
            BackupStatus.Parse(l, Expect(await l.RequestAsync(MessageType.Status, default, cancellation).ConfigureAwait(false), MessageType.StatusReply), n)))
            .ConfigureAwait(false);

        if (!statuses.Any(s => s.Loaded[me]))
        {
            if (statuses.Length < f) return (null, $"only {statuses.Length} of {f} backups reachable, and none holds this primary yet");
            owner.BecomeServing([], 0, 0);
            Log.Info($"primary {me} starts empty: no backup has held it before");
            return (Report(false, [], 0, 0, attempt), "");
        }

        BackupStatus[] complete = statuses.Where(s => s.Complete).ToArray();
        int[] lost = Enumerable.Range(0, n).Where(p => complete.Any(s => !s.Serving[p])).ToArray();
        if (!lost.Contains(me)) return (null, "a backup still counts this primary's old connection as serving");
        if (complete.Length < lost.Length)
            return (null, $"{lost.Length} primaries are down ({string.Join(",", lost)}) but only {complete.Length} complete backups are reachable");

        var reconcile = Stopwatch.StartNew();
        bool moved = await ReconcileAsync(statuses, lost, cancellation).ConfigureAwait(false);
        _reconcile += reconcile.Elapsed;
        if (moved) return (null, "reconciled lagging backups; checking again");

        var cutClock = Stopwatch.StartNew();
        BackupStatus[] chosen = complete.Take(lost.Length).ToArray();
        var lostBody = new byte[4 + 4 * lost.Length];
        BinaryPrimitives.WriteInt32LittleEndian(lostBody, lost.Length);
        for (int i = 0; i < lost.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(lostBody.AsSpan(4 + 4 * i), lost[i]);
        Reply[] replies = await Task.WhenAll(chosen.Select(s => s.Link.RequestAsync(MessageType.ResidualRequest, lostBody, cancellation))).ConfigureAwait(false);

        var residuals = new List<ReadOnlyMemory<ulong>>();
        long[]? seqs = null;
        int[]? lengths = null;
        var rented = new List<ulong[]>();
        try
        {
            foreach (Reply reply in replies)
            {
                var r = new PayloadReader(Expect(reply, MessageType.Residual));
                r.U64();
                r.I32();
                int t = r.Count("lost", n);
                if (t != lost.Length) throw new ProtocolException($"Residual covers {t} primaries, {lost.Length} asked.");
                var s = new long[t];
                var len = new int[t];
                for (int i = 0; i < t; i++)
                {
                    s[i] = r.I64();
                    len[i] = r.Count("length", int.MaxValue - 64);
                }
                if (seqs is not null && (!seqs.SequenceEqual(s) || !lengths!.SequenceEqual(len)))
                    return (null, "backups answered the cut at different seqs; retrying");
                (seqs, lengths) = (s, len);
                int words = len.Length == 0 ? 0 : len.Max(Delta.WordsFor);
                ulong[] residual = BulkCodec.Read(ref r, words, owner.Cluster.Config.MaxFrameBytes);
                rented.Add(residual);
                r.End();
                residuals.Add(residual.AsMemory(0, words));
                _bytes += reply.Payload.Length;
            }
            ulong[][] solved = owner.Code.SolveResiduals(lost, chosen.Select(c => c.Link.Index).ToArray(), residuals, lengths!);
            int mine = Array.IndexOf(lost, me);
            _cut += cutClock.Elapsed;
            // Reconciliation (this primary's or another recovering primary's) may have rolled a backup forward on
            // this primary since it answered Attach; this attempt's statuses are current, so streaming resumes from them.
            lock (owner.Gate)
                foreach (BackupStatus status in statuses)
                    if (status.Loaded[me]) status.Link.BackupSeq = status.Seq[me];
            owner.BecomeServing(solved[mine], lengths![mine], seqs![mine]);
            Log.Info($"primary {me} rebuilt {lengths[mine]} bits at seq {seqs[mine]} from backups {string.Join(",", chosen.Select(c => c.Link.Index))} (lost set {string.Join(",", lost)}) in {_clock.Elapsed.TotalMilliseconds:0.###} ms");
            return (Report(true, lost, lengths[mine], seqs[mine], attempt), "");
        }
        finally
        {
            foreach (ulong[] a in rented) ArrayPool<ulong>.Shared.Return(a);
        }
    }

    /// <summary>Rolls every backup that lags on a lost primary forward to the highest seq; true if anything moved.</summary>
    private async Task<bool> ReconcileAsync(BackupStatus[] statuses, int[] lost, CancellationToken cancellation)
    {
        bool moved = false;
        foreach (int p in lost)
        {
            BackupStatus[] holders = statuses.Where(s => s.Loaded[p]).ToArray();
            if (holders.Length < 2) continue;
            long target = holders.Max(s => s.Seq[p]);
            BackupStatus source = holders.First(s => s.Seq[p] == target);
            foreach (BackupStatus behind in holders.Where(s => s.Seq[p] < target))
            {
                var body = new byte[4 + 16];
                BinaryPrimitives.WriteInt32LittleEndian(body, p);
                BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(4), behind.Seq[p]);
                BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(12), target);
                byte[] retained = Expect(await source.Link.RequestAsync(MessageType.RetainedRequest, body, cancellation).ConfigureAwait(false), MessageType.Retained);
                List<byte[]> forwards = ParseRetained(retained, p);
                foreach (byte[] forward in forwards)
                    Expect(await behind.Link.RequestAsync(MessageType.Forward, forward, cancellation).ConfigureAwait(false), MessageType.Ok);
                int count = forwards.Count;
                Log.Info($"reconciled primary {p} on backup {behind.Link.Index}: seq {behind.Seq[p]} → {target} with {count} deltas from backup {source.Link.Index}");
                moved = true;
            }
        }
        return moved;
    }

    /// <summary>Turns a Retained reply into Forward bodies: <c>primary i32 | delta payload</c> each.</summary>
    private static List<byte[]> ParseRetained(byte[] retained, int primary)
    {
        var r = new PayloadReader(retained);
        r.U64();
        int count = r.Count("count", 1 << 20);
        var forwards = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            int size = r.Count("size", retained.Length);
            byte[] forward = new byte[4 + size];
            BinaryPrimitives.WriteInt32LittleEndian(forward, primary);
            r.Bytes(size).CopyTo(forward.AsSpan(4));
            forwards.Add(forward);
        }
        r.End();
        return forwards;
    }

    private static byte[] Expect(Reply reply, MessageType type)
    {
        if (reply.Type == MessageType.Error)
        {
            var (_, code, message) = Replies.ReadError(reply.Payload);
            throw new InvalidOperationException($"backup refused ({code}): {message}");
        }
        if (reply.Type != type) throw new ProtocolException($"Expected {type}, got {reply.Type}.");
        return reply.Payload;
    }

    private RecoveryReport Report(bool rebuilt, int[] lost, int length, long seq, int attempts) =>
        new(rebuilt, lost, length, seq, _clock.Elapsed, _reconcile, _cut, attempts, _bytes);
}
