using System.Collections.Immutable;
using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

using BitFusion.Core.Replication;
using BitFusion.Net.Replication;

namespace BitFusion.Net.Wire;

/// <summary>
/// Orphan recovery on the wire: a data node's <see cref="OrphanReport"/> to the coordinating manager, and the
/// coordinator's <see cref="RecoveryDecision"/> back to every data node of the view.
/// </summary>
internal static class OrphanWire
{
    private const int MaxEntries = 1 << 22;

    /// <summary><c>deadSender i32 | epoch i64 | hasState bool | count i32 | (seq i64, epoch i64, groups u64, state u8, timestamp i64)*</c></summary>
    public static void EnqueueReport(Connection c, OrphanReport report)
    {
        byte[] payload = new byte[17 + report.Entries.Length * 33];
        var w = new PayloadWriter(payload);
        w.I32(report.DeadSender);
        w.I64(report.Epoch);
        w.Bool(report.HasState);
        w.I32(report.Entries.Length);
        foreach (OrphanEntry e in report.Entries)
        {
            w.I64(e.Seq);
            w.I64(e.Epoch);
            w.U64(e.Groups.Mask);
            w.U8((byte)e.State);
            w.I64(e.Timestamp);
        }
        c.Enqueue(MessageType.OrphanReport, payload);
    }

    public static OrphanReport ReadReport(in Frame frame, int node)
    {
        var r = frame.Reader();
        int dead = r.I32();
        long epoch = r.I64();
        bool hasState = r.Bool();
        int count = r.Count("entries", Math.Min(MaxEntries, r.Remaining / 33));
        var entries = ImmutableArray.CreateBuilder<OrphanEntry>(count);
        for (int i = 0; i < count; i++)
        {
            long seq = r.I64(), sent = r.I64();
            var groups = new GroupSet(r.U64());
            byte state = r.U8();
            long timestamp = r.I64();
            if (seq < 1 || state > (byte)OrphanState.Delivered) throw new ProtocolException($"Orphan entry {seq} (state {state}) is out of range.");
            entries.Add(new OrphanEntry(seq, sent, groups, (OrphanState)state, timestamp));
        }
        r.End();
        if (dead < 0 || epoch < 0) throw new ProtocolException($"Orphan report about sender {dead} in epoch {epoch} is out of range.");
        return new OrphanReport(node, epoch, dead, hasState, entries.MoveToImmutable());
    }

    /// <summary><c>deadSender i32 | epoch i64 | count i32 | (seq i64, finalize bool, timestamp i64)*</c></summary>
    public static byte[] EncodeDecision(RecoveryDecision decision)
    {
        byte[] payload = new byte[16 + decision.Verdicts.Length * 17];
        var w = new PayloadWriter(payload);
        w.I32(decision.DeadSender);
        w.I64(decision.Epoch);
        w.I32(decision.Verdicts.Length);
        foreach (OrphanVerdict v in decision.Verdicts)
        {
            w.I64(v.Seq);
            w.Bool(v.Finalize);
            w.I64(v.Timestamp);
        }
        return payload;
    }

    public static RecoveryDecision ReadDecision(in Frame frame)
    {
        var r = frame.Reader();
        int dead = r.I32();
        long epoch = r.I64();
        int count = r.Count("verdicts", Math.Min(MaxEntries, r.Remaining / 17));
        var verdicts = ImmutableArray.CreateBuilder<OrphanVerdict>(count);
        for (int i = 0; i < count; i++)
        {
            long seq = r.I64();
            bool finalize = r.Bool();
            long timestamp = r.I64();
            if (seq < 1 || timestamp < 0) throw new ProtocolException($"Verdict on {dead}#{seq} is out of range.");
            verdicts.Add(new OrphanVerdict(seq, finalize, timestamp));
        }
        r.End();
        if (dead < 0 || epoch < 0) throw new ProtocolException($"Decision about sender {dead} in epoch {epoch} is out of range.");
        return new RecoveryDecision(dead, epoch, verdicts.MoveToImmutable());
    }
}
