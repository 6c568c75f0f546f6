using System.Collections.Immutable;
using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Replication;

/// <summary>
/// One membership epoch as the coordinating manager decides it and every manager and data node installs it:
/// Skeen's view (data nodes with their groups and incarnations, live senders) plus what the network layer needs on
/// top. Each member's <em>life</em> is a random id its process draws at start, so a restarted process is never
/// taken for the one it replaces (a data node admitted for one life ignores the view in any other). Every sender
/// ever removed stays listed in <see cref="DeadSenders"/>: a view change re-runs their orphan recovery, so a verdict
/// that a dying coordinator delivered to only some replicas still reaches all of them. Immutable.
/// </summary>
public sealed class ClusterView
{
    public const int MaxReceivers = 4096;
    public const int MaxSenders = 4096;
    public const int MaxDeadSenders = 1 << 16;

    private readonly Dictionary<int, ulong> _receiverLives;
    private readonly Dictionary<int, ulong> _senderLives;

    public ClusterView(SkeenView skeen, int coordinator, IReadOnlyDictionary<int, ulong> receiverLives,
        IReadOnlyDictionary<int, ulong> senderLives, IEnumerable<int> deadSenders)
    {
        ArgumentNullException.ThrowIfNull(skeen);
        Skeen = skeen;
        Coordinator = coordinator;
        _receiverLives = new Dictionary<int, ulong>(skeen.Receivers.Length);
        foreach (ViewMember m in skeen.Receivers)
        {
            if (!receiverLives.TryGetValue(m.Node, out ulong life) || life == 0)
                throw new ArgumentException($"Data node {m.Node} has no life id in view {skeen.Epoch}.", nameof(receiverLives));
            _receiverLives.Add(m.Node, life);
        }
        _senderLives = new Dictionary<int, ulong>(skeen.Senders.Length);
        foreach (int s in skeen.Senders)
        {
            if (!senderLives.TryGetValue(s, out ulong life) || life == 0)
                throw new ArgumentException($"Sender {s} has no life id in view {skeen.Epoch}.", nameof(senderLives));
            _senderLives.Add(s, life);
        }
        if (!skeen.ContainsSender(coordinator))
            throw new ArgumentException($"Coordinator {coordinator} is not a sender of view {skeen.Epoch}.", nameof(coordinator));
        ImmutableArray<int> dead = [.. deadSenders.Distinct().Order()];
        foreach (int s in dead)
            if (skeen.ContainsSender(s))
                throw new ArgumentException($"Sender {s} is both live and dead in view {skeen.Epoch}.", nameof(deadSenders));
        DeadSenders = dead;
    }

    public SkeenView Skeen { get; }

    public long Epoch => Skeen.Epoch;

    /// <summary>The sender id of the manager that decided this view.</summary>
    public int Coordinator { get; }

    /// <summary>Every sender removed so far, ascending.</summary>
    public ImmutableArray<int> DeadSenders { get; }

    /// <summary>The life admitted for data node <paramref name="node"/>, or 0 when it is not a member.</summary>
    public ulong ReceiverLife(int node) => _receiverLives.GetValueOrDefault(node);

    /// <summary>The life of the manager that multicasts as <paramref name="sender"/>, or 0 when it is not a sender.</summary>
    public ulong SenderLife(int sender) => _senderLives.GetValueOrDefault(sender);

    /// <summary>The sender id this view gives the manager process of life <paramref name="life"/>, or -1.</summary>
    public int SenderOf(ulong life)
    {
        foreach ((int sender, ulong l) in _senderLives)
            if (l == life) return sender;
        return -1;
    }

    public override string ToString() =>
        $"{Skeen} coordinator {Coordinator}{(DeadSenders.IsEmpty ? "" : $" dead [{string.Join(' ', DeadSenders)}]")}";

    public int WireSize => 8 + 4 + 4 + Skeen.Receivers.Length * 28 + 4 + Skeen.Senders.Length * 12 + 4 + DeadSenders.Length * 4;

    /// <summary>
    /// <c>epoch i64 | coordinator i32 | receivers i32 | (node i32, group i32, incarnation i64, donor i32, life u64)* |
    /// senders i32 | (sender i32, life u64)* | dead i32 | sender i32*</c>
    /// </summary>
    public void Write(ref PayloadWriter w)
    {
        w.I64(Epoch);
        w.I32(Coordinator);
        w.I32(Skeen.Receivers.Length);
        foreach (ViewMember m in Skeen.Receivers)
        {
            w.I32(m.Node);
            w.I32(m.Group);
            w.I64(m.Incarnation);
            w.I32(m.Donor);
            w.U64(_receiverLives[m.Node]);
        }
        w.I32(Skeen.Senders.Length);
        foreach (int s in Skeen.Senders)
        {
            w.I32(s);
            w.U64(_senderLives[s]);
        }
        w.I32(DeadSenders.Length);
        foreach (int s in DeadSenders) w.I32(s);
    }

    /// <summary>Reads and validates a view; anything inconsistent is a <see cref="ProtocolException"/>.</summary>
    public static ClusterView Read(ref PayloadReader r)
    {
        long epoch = r.I64();
        int coordinator = r.I32();
        int receiverCount = r.Count("receivers", MaxReceivers);
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
        int senderCount = r.Count("senders", MaxSenders);
        var senders = new int[senderCount];
        var senderLives = new Dictionary<int, ulong>(senderCount);
        for (int i = 0; i < senderCount; i++)
        {
            senders[i] = r.I32();
            if (!senderLives.TryAdd(senders[i], r.U64())) throw new ProtocolException($"View {epoch} lists sender {senders[i]} twice.");
        }
        int deadCount = r.Count("dead senders", MaxDeadSenders);
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
