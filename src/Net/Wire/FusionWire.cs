using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// The primary ⇄ backup frames besides <see cref="DeltaWire"/> (docs/protocol.md,
/// "Primary ⇄ backup" and "Recovery"). Writers fill a caller's span and return the bytes written; readers take a
/// whole frame, check every count against what the payload can hold and the cluster's limits, and throw
/// <see cref="ProtocolException"/> on anything malformed, so a role only ever sees well-formed inputs.
/// </summary>
internal static class FusionWire
{
    public const int AttachBytes = 8 + 8 + 8 + 1;
    public const int ViewBytes = 1 + 8 + 8 + 8 + 1 + 8 + 8 + 8;
    public const int AttachedBytes = ViewBytes + 1;
    public const int SnapshotHeadBytes = 8 + 8 + 8 + 8 + 8 + 8;
    public const int ServingBytes = 24;
    public const int RetainedRequestBytes = 8 + 4 + 8 + 8;
    public const int AdoptBytes = 8 + 4 + 8 + 8 + 8;
    public const int ForwardHeadBytes = 8 + 4 + 8 + DeltaWire.HeadBytes;

    public static int WriteAttach(Span<byte> target, long life, long seq, long length, bool recovering)
    {
        var w = new PayloadWriter(target);
        w.I64(life);
        w.I64(seq);
        w.I64(length);
        w.Bool(recovering);
        return w.Written;
    }

    public static (long Life, long Seq, long Length, bool Recovering) ReadAttach(in Frame frame, long maxLength)
    {
        var r = frame.Reader();
        long life = r.I64();
        long seq = Seq(ref r);
        long length = r.Length("length", maxLength);
        bool recovering = r.Bool();
        r.End();
        return (life, seq, length, recovering);
    }

    public static void WriteView(ref PayloadWriter w, in PrimaryView view)
    {
        w.Bool(view.Loaded);
        w.I64(view.Life);
        w.I64(view.Seq);
        w.I64(view.Length);
        w.Bool(view.Serving);
        w.I64(view.RetainedFrom);
        w.I64(view.BasisLife);
        w.I64(view.BasisSeq);
    }

    public static PrimaryView ReadView(ref PayloadReader r, long maxLength)
    {
        bool loaded = r.Bool();
        long life = r.I64();
        long seq = Seq(ref r);
        long length = r.Length("length", maxLength);
        bool serving = r.Bool();
        long retainedFrom = r.I64();
        if (retainedFrom < 1 || retainedFrom > seq + 1) throw new ProtocolException($"retainedFrom {retainedFrom} is outside 1..{seq + 1}.");
        long basisLife = r.I64();
        long basisSeq = Seq(ref r);
        if (basisSeq > seq) throw new ProtocolException($"basis seq {basisSeq} is past seq {seq}.");
        return new PrimaryView(loaded, life, seq, length, serving, retainedFrom, basisLife, basisSeq);
    }

    public static int WriteAttached(Span<byte> target, in PrimaryView view, bool complete)
    {
        var w = new PayloadWriter(target);
        WriteView(ref w, view);
        w.Bool(complete);
        return w.Written;
    }

    public static (PrimaryView View, bool Complete) ReadAttached(in Frame frame, long maxLength)
    {
        var r = frame.Reader();
        PrimaryView view = ReadView(ref r, maxLength);
        bool complete = r.Bool();
        r.End();
        return (view, complete);
    }

    /// <summary>
    /// The head every Snapshot chunk carries; one chunk of the list follows (<see cref="ChunkCodec"/>). The basis is
    /// the (life, seq) a recovery rebuilt this life from (0, 0 for a life that began empty).
    /// </summary>
    public static int WriteSnapshotHead(Span<byte> target, ulong token, long life, long seq, long length, long basisLife, long basisSeq)
    {
        var w = new PayloadWriter(target);
        w.U64(token);
        w.I64(life);
        w.I64(seq);
        w.I64(length);
        w.I64(basisLife);
        w.I64(basisSeq);
        return w.Written;
    }

    /// <summary>One Snapshot frame: its head, and its chunk (aliasing the frame), which must belong to a list of the head's length.</summary>
    public static SnapshotHead ReadSnapshot(in Frame frame, long maxLength, out ChunkCodec.Chunk chunk)
    {
        var r = frame.Reader();
        ulong token = r.U64();
        long life = r.I64();
        long seq = Seq(ref r);
        long length = r.Length("length", maxLength);
        long basisLife = r.I64();
        long basisSeq = Seq(ref r);
        if (basisSeq > seq) throw new ProtocolException($"A Snapshot at seq {seq} names a basis at seq {basisSeq}.");
        chunk = ChunkCodec.Read(ref r, Delta.WordsFor(maxLength));
        if (chunk.TotalWords != Delta.WordsFor(length))
            throw new ProtocolException($"A Snapshot of {length} bits is sent as {chunk.TotalWords} words.");
        return new SnapshotHead(token, life, seq, length, basisLife, basisSeq);
    }

    /// <summary>A whole list that arrived in chunks must leave every bit past its length clear.</summary>
    public static void CheckTail(ReadOnlySpan<ulong> words, long length, string what)
    {
        if ((length & 63) != 0 && (words[Delta.WordsFor(length) - 1] >> (int)(length & 63)) != 0)
            throw new ProtocolException($"{what} has bits set past its length {length}.");
    }

    public static int WriteServing(Span<byte> target, long oldLife, long newLife, long seq)
    {
        var w = new PayloadWriter(target);
        w.I64(oldLife);
        w.I64(newLife);
        w.I64(seq);
        return w.Written;
    }

    public static (long OldLife, long NewLife, long Seq) ReadServing(in Frame frame)
    {
        var r = frame.Reader();
        long oldLife = r.I64();
        long newLife = r.I64();
        long seq = Seq(ref r);
        r.End();
        return (oldLife, newLife, seq);
    }

    /// <summary>A frame that carries only a u64 (Status, SnapshotRequest, Ack's seq): it must hold exactly that.</summary>
    public static ulong ReadU64(in Frame frame)
    {
        var r = frame.Reader();
        ulong v = r.U64();
        r.End();
        return v;
    }

    public static void ReadEmpty(in Frame frame)
    {
        if (!frame.Payload.IsEmpty) throw new ProtocolException($"Frame type {(byte)frame.Type} carries no payload; this one has {frame.Payload.Length} bytes.");
    }

    public static int StatusReplyBytes(int primaries) => 8 + 4 + 1 + 4 + primaries * ViewBytes;

    public static int WriteStatusReply(Span<byte> target, ulong requestId, BackupReport report)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(report.Backup);
        w.Bool(report.Complete);
        w.I32(report.Primaries.Length);
        foreach (PrimaryView v in report.Primaries) WriteView(ref w, v);
        return w.Written;
    }

    public static (ulong RequestId, BackupReport Report) ReadStatusReply(in Frame frame, int primaries, int backups, long maxLength)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int backup = r.Count("backup", backups - 1);
        bool complete = r.Bool();
        int n = r.Count("primaries", 256);
        if (n != primaries) throw new ProtocolException($"The backup reports {n} primaries; the configuration has {primaries}.");
        var views = new PrimaryView[n];
        for (int p = 0; p < n; p++) views[p] = ReadView(ref r, maxLength);
        r.End();
        return (id, new BackupReport(backup, complete, views));
    }

    public static int WriteRetainedRequest(Span<byte> target, ulong requestId, int primary, long from, long to)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(primary);
        w.I64(from);
        w.I64(to);
        return w.Written;
    }

    public static (ulong RequestId, int Primary, long From, long To) ReadRetainedRequest(in Frame frame, int primaries)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int primary = r.Count("primary", primaries - 1);
        long from = r.I64();
        long to = r.I64();
        r.End();
        if (from < 0 || to < from) throw new ProtocolException($"Retained range {from}..{to} is not a range of seqs.");
        return (id, primary, from, to);
    }

    public static int WriteAdopt(Span<byte> target, ulong requestId, int primary, long oldLife, long seq, long newLife)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(primary);
        w.I64(oldLife);
        w.I64(seq);
        w.I64(newLife);
        return w.Written;
    }

    public static (ulong RequestId, int Primary, long OldLife, long Seq, long NewLife) ReadAdopt(in Frame frame, int primaries)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int primary = r.Count("primary", primaries - 1);
        long oldLife = r.I64();
        long seq = Seq(ref r);
        long newLife = r.I64();
        r.End();
        return (id, primary, oldLife, seq, newLife);
    }

    /// <summary>The size of a Retained reply holding <paramref name="count"/> deltas of <paramref name="words"/> words in all.</summary>
    public static long RetainedBytes(int count, long words) => 8 + 4 + count * (4L + DeltaWire.HeadBytes) + words * 8;

    /// <summary>How many of <paramref name="deltas"/>, from the first, one Retained frame holds (0 if not even the first fits).</summary>
    public static int RetainedThatFit(IReadOnlyList<DeltaRecord> deltas, int maxFrameBytes)
    {
        int limit = maxFrameBytes - 1, count = 0;
        long words = 0;
        while (count < deltas.Count && RetainedBytes(count + 1, words + deltas[count].WordCount) <= limit)
            words += deltas[count++].WordCount;
        return count;
    }

    public static int WriteRetained(Span<byte> target, ulong requestId, IReadOnlyList<DeltaRecord> deltas, int count)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(count);
        for (int i = 0; i < count; i++)
        {
            DeltaRecord d = deltas[i];
            Delta view = d.View;
            w.I32(DeltaWire.HeadBytes + view.Words.Length * 8);
            DeltaWire.WriteHead(w.Free, d.Seq, 0, view);
            w.Advance(DeltaWire.HeadBytes);
            w.Words(view.Words);
        }
        return w.Written;
    }

    /// <summary>A Retained reply; each delta is copied out of the frame.</summary>
    public static (ulong RequestId, List<DeltaRecord> Deltas) ReadRetained(in Frame frame, long maxLength)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int count = r.Count("count", r.Remaining / (4 + DeltaWire.HeadBytes));
        var deltas = new List<DeltaRecord>(count);
        for (int i = 0; i < count; i++)
        {
            int size = r.Count("size", r.Remaining);
            var item = new PayloadReader(r.Bytes(size));
            Delta delta = DeltaWire.Read(ref item, maxLength, out long seq, out _);
            item.End();
            deltas.Add(DeltaRecord.Copy(seq, delta));
        }
        r.End();
        return (id, deltas);
    }

    /// <summary>The head of a Forward (request, primary, life, then the delta's head); the delta's words follow.</summary>
    public static int WriteForwardHead(Span<byte> target, ulong requestId, int primary, long life, long seq, in Delta delta)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(primary);
        w.I64(life);
        DeltaWire.WriteHead(w.Free, seq, 0, delta);
        w.Advance(DeltaWire.HeadBytes);
        return w.Written;
    }

    /// <summary>A Forward, read to its end; the delta's words alias the frame.</summary>
    public static Delta ReadForward(ref PayloadReader r, int primaries, long maxLength, out ulong requestId, out int primary, out long life, out long seq)
    {
        requestId = r.U64();
        primary = r.Count("primary", primaries - 1);
        life = r.I64();
        Delta delta = DeltaWire.Read(ref r, maxLength, out seq, out _);
        r.End();
        return delta;
    }

    public static int ResidualRequestBytes(int lost) => 8 + 4 + 4 * lost;

    public static int WriteResidualRequest(Span<byte> target, ulong requestId, ReadOnlySpan<int> lost)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(lost.Length);
        foreach (int l in lost) w.I32(l);
        return w.Written;
    }

    /// <summary>A ResidualRequest; whether the lost set is distinct and non-empty is the role's to judge (it refuses, it does not disconnect).</summary>
    public static (ulong RequestId, int[] Lost) ReadResidualRequest(in Frame frame, int primaries)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int t = r.Count("lost count", primaries);
        var lost = new int[t];
        for (int i = 0; i < t; i++) lost[i] = r.Count("lost primary", primaries - 1);
        r.End();
        return (id, lost);
    }

    public static int ResidualHeadBytes(int lost) => 8 + 4 + 4 + 16 * lost;

    /// <summary>The head every Residual chunk carries (request, backup, per lost primary its seq and length); one chunk follows.</summary>
    public static int WriteResidualHead(Span<byte> target, ulong requestId, int backup, ReadOnlySpan<long> seqs, ReadOnlySpan<long> lengths)
    {
        var w = new PayloadWriter(target);
        w.U64(requestId);
        w.I32(backup);
        w.I32(seqs.Length);
        for (int i = 0; i < seqs.Length; i++)
        {
            w.I64(seqs[i]);
            w.I64(lengths[i]);
        }
        return w.Written;
    }

    /// <summary>One Residual frame: its head, and its chunk (aliasing the frame) of the longest lost list's words.</summary>
    public static ResidualHead ReadResidual(in Frame frame, int primaries, long maxLength, out ChunkCodec.Chunk chunk)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        r.I32();
        int t = r.Count("lost count", primaries);
        var seqs = new long[t];
        var lengths = new long[t];
        int words = 0;
        for (int i = 0; i < t; i++)
        {
            seqs[i] = Seq(ref r);
            lengths[i] = r.Length("length", maxLength);
            words = Math.Max(words, Delta.WordsFor(lengths[i]));
        }
        chunk = ChunkCodec.Read(ref r, Delta.WordsFor(maxLength));
        if (chunk.TotalWords != words)
            throw new ProtocolException($"A Residual over lists of up to {words} words is sent as {chunk.TotalWords} words.");
        return new ResidualHead(id, seqs, lengths);
    }

    public static ErrorCode ToErrorCode(Refusal why) => why switch
    {
        Refusal.BadRequest => ErrorCode.BadRequest,
        Refusal.NotReady => ErrorCode.NotReady,
        Refusal.Unavailable => ErrorCode.Unavailable,
        _ => ErrorCode.Conflict,
    };

    /// <summary>The refusal an Error from a backup stands for; a code a backup never sends is a protocol error.</summary>
    public static Refusal ToRefusal(ErrorCode code) => code switch
    {
        ErrorCode.BadRequest => Refusal.BadRequest,
        ErrorCode.NotReady => Refusal.NotReady,
        ErrorCode.Unavailable => Refusal.Unavailable,
        ErrorCode.Conflict => Refusal.Conflict,
        _ => throw new ProtocolException($"A backup does not refuse with error code {(byte)code}."),
    };

    private static long Seq(ref PayloadReader r)
    {
        long seq = r.I64();
        if (seq < 0) throw new ProtocolException($"Seq {seq} is negative.");
        return seq;
    }

    public readonly record struct SnapshotHead(ulong Token, long Life, long Seq, long Length, long BasisLife, long BasisSeq);

    public readonly record struct ResidualHead(ulong RequestId, long[] Seqs, long[] Lengths);
}
