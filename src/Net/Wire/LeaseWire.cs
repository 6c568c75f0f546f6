using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// A data node's read lease (<see cref="Core.Replication.ReadLease"/>): <c>LeaseRequest</c> (data node → manager) and
/// <c>LeaseGrant</c> (manager → data node) carry the same <c>life u64 | sentAt i64</c>: the life asking, and the data
/// node's clock when it sent the request, which the grant echoes (the node's lease runs from that time, never from arrival).
/// </summary>
internal static class LeaseWire
{
    public static void Enqueue(Connection c, MessageType type, ulong life, long sentAt)
    {
        Span<byte> p = stackalloc byte[16];
        var w = new PayloadWriter(p);
        w.U64(life);
        w.I64(sentAt);
        c.Enqueue(type, p);
    }

    public static (ulong Life, long SentAt) Read(in Frame frame)
    {
        var r = frame.Reader();
        ulong life = r.U64();
        long sentAt = r.I64();
        r.End();
        if (life == 0) throw new ProtocolException("A read lease frame names life 0.");
        return (life, sentAt);
    }
}
