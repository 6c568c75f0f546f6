using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>The one codec of a <see cref="ClusterView"/> (in views, hellos and view reports).</summary>
internal static class ClusterViewWire
{
    public static int WireSize(ClusterView view) => 8 + 4 + 4 + view.Skeen.Receivers.Length * 28 + 4 + view.Skeen.Senders.Length * 12 + 4 + view.DeadSenders.Length * 4;

    /// <summary>
    /// <c>epoch i64 | coordinator i32 | receivers i32 | (node i32, group i32, incarnation i64, donor i32, life u64)* |
    /// senders i32 | (sender i32, life u64)* | dead i32 | sender i32*</c>
    /// </summary>
    public static void Write(ref PayloadWriter w, ClusterView view)
    {
        w.I64(view.Epoch);
        w.I32(view.Coordinator);
        w.I32(view.Skeen.Receivers.Length);
        foreach (ViewMember m in view.Skeen.Receivers)
        {
            w.I32(m.Node);
            w.I32(m.Group);
            w.I64(m.Incarnation);
            w.I32(m.Donor);
            w.U64(view.ReceiverLife(m.Node));
        }
        w.I32(view.Skeen.Senders.Length);
        foreach (int s in view.Skeen.Senders)
        {
            w.I32(s);
            w.U64(view.SenderLife(s));
        }
        w.I32(view.DeadSenders.Length);
        foreach (int s in view.DeadSenders) w.I32(s);
    }

    /// <summary>Reads and validates a view; anything inconsistent is a <see cref="ProtocolException"/>.</summary>
    public static ClusterView Read(ref PayloadReader r)
    {
        long epoch = r.I64();
        int coordinator = r.I32();
        int receiverCount = r.Count("receivers", ClusterView.MaxReceivers);
        var members = new ViewMember[receiverCount];
        var receiverLives = new Dictionary<int, ulong>(receiverCount);
        for (int i = 0; i < receiverCount; i++)
        {
            int node = r.I32(), group = r.I32();
            long incarnation = r.I64();
            int donor = r.I32();
            ulong life = r.U64();
            members[i] = new ViewMember(node, group, incarnation, donor);
            if (!receiverLives.TryAdd(node, life)) throw new ProtocolException($"View {epoch} lists data node {node} twice.");
        }
        int senderCount = r.Count("senders", ClusterView.MaxSenders);
        var senders = new int[senderCount];
        var senderLives = new Dictionary<int, ulong>(senderCount);
        for (int i = 0; i < senderCount; i++)
        {
            senders[i] = r.I32();
            if (!senderLives.TryAdd(senders[i], r.U64())) throw new ProtocolException($"View {epoch} lists sender {senders[i]} twice.");
        }
        int deadCount = r.Count("dead senders", ClusterView.MaxDeadSenders);
        var dead = new int[deadCount];
        for (int i = 0; i < deadCount; i++) dead[i] = r.I32();
        try
        {
            return new ClusterView(new SkeenView(epoch, members, senders), coordinator, receiverLives, senderLives, dead);
        }
        catch (ArgumentException e)
        {
            throw new ProtocolException($"Invalid view {epoch}: {e.Message}");
        }
    }
}
