using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

using BitFusion.Core.Replication;
using BitFusion.Net.Replication;

namespace BitFusion.Net.Wire;

/// <summary>
/// Membership frames: who is at the other end of a connection (<c>NodeStatus</c>, <c>ManagerHello</c>), view
/// changes, and the view query a new coordinator sends before deciding anything. docs/protocol.md lists the fields.
/// </summary>
internal static class MembershipWire
{
    /// <summary><c>life u64 | phase u8 | incarnation i64 | epoch i64 | position i64 | length i64</c></summary>
    public static void EnqueueStatus(Connection c, in NodeStatus s)
    {
        Span<byte> p = stackalloc byte[41];
        var w = new PayloadWriter(p);
        w.U64(s.Life);
        w.U8((byte)s.Phase);
        w.I64(s.Incarnation);
        w.I64(s.Epoch);
        w.I64(s.Position);
        w.I64(s.Length);
        c.Enqueue(MessageType.NodeStatus, p);
    }

    public static NodeStatus ReadStatus(in Frame frame)
    {
        var r = frame.Reader();
        ulong life = r.U64();
        byte phase = r.U8();
        long incarnation = r.I64(), epoch = r.I64(), position = r.I64();
        long length = r.Length("length", ListLimits.MaxCount);
        r.End();
        if (life == 0 || phase > (byte)NodePhase.Serving || incarnation < -1 || epoch < -1 || position < 0)
            throw new ProtocolException($"Node status (life {life:x}, phase {phase}, incarnation {incarnation}, epoch {epoch}) is out of range.");
        return new NodeStatus(life, (NodePhase)phase, incarnation, epoch, position, length);
    }

    /// <summary><c>sender i32 (−1: none yet) | life u64 | hasView bool | [view]</c></summary>
    public static void EnqueueHello(Connection c, int sender, ulong life, ClusterView? view)
    {
        byte[] p = new byte[13 + (view is null ? 0 : ClusterViewWire.WireSize(view))];
        var w = new PayloadWriter(p);
        w.I32(sender);
        w.U64(life);
        w.Bool(view is not null);
        if (view is not null) ClusterViewWire.Write(ref w, view);
        c.Enqueue(MessageType.ManagerHello, p);
    }

    public static (int Sender, ulong Life, ClusterView? View) ReadHello(in Frame frame)
    {
        var r = frame.Reader();
        int sender = r.I32();
        ulong life = r.U64();
        ClusterView? view = r.Bool() ? ClusterViewWire.Read(ref r) : null;
        r.End();
        if (sender < -1 || life == 0) throw new ProtocolException($"Manager hello (sender {sender}, life {life:x}) is out of range.");
        return (sender, life, view);
    }

    /// <summary>A <c>ViewChange</c> frame's payload: the view.</summary>
    public static byte[] EncodeView(ClusterView view)
    {
        byte[] p = new byte[ClusterViewWire.WireSize(view)];
        var w = new PayloadWriter(p);
        ClusterViewWire.Write(ref w, view);
        return p;
    }

    public static ClusterView ReadView(in Frame frame)
    {
        var r = frame.Reader();
        ClusterView view = ClusterViewWire.Read(ref r);
        r.End();
        return view;
    }

    /// <summary><c>reqId u64 | count i32 | deadSender i32*</c>: answer once nothing more can arrive from those senders.</summary>
    public static void EnqueueQuery(Connection c, ulong requestId, IReadOnlyCollection<int> deadSenders)
    {
        byte[] p = new byte[12 + deadSenders.Count * 4];
        var w = new PayloadWriter(p);
        w.U64(requestId);
        w.I32(deadSenders.Count);
        foreach (int s in deadSenders) w.I32(s);
        c.Enqueue(MessageType.ViewQuery, p);
    }

    public static (ulong RequestId, int[] DeadSenders) ReadQuery(in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        int count = r.Count("dead senders", Math.Min(ClusterView.MaxDeadSenders, r.Remaining / 4));
        int[] dead = new int[count];
        for (int i = 0; i < count; i++) dead[i] = r.I32();
        r.End();
        return (id, dead);
    }

    /// <summary><c>reqId u64 | hasView bool | [view]</c></summary>
    public static void EnqueueReport(Connection c, ulong requestId, ClusterView? view)
    {
        byte[] p = new byte[9 + (view is null ? 0 : ClusterViewWire.WireSize(view))];
        var w = new PayloadWriter(p);
        w.U64(requestId);
        w.Bool(view is not null);
        if (view is not null) ClusterViewWire.Write(ref w, view);
        c.Enqueue(MessageType.ViewReport, p);
    }

    public static (ulong RequestId, ClusterView? View) ReadReport(in Frame frame)
    {
        var r = frame.Reader();
        ulong id = r.U64();
        ClusterView? view = r.Bool() ? ClusterViewWire.Read(ref r) : null;
        r.End();
        return (id, view);
    }
}
