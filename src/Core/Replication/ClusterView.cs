using System.Collections.Immutable;
using BitFusion.Core.Abcast;

namespace BitFusion.Core.Replication;

/// <summary>
/// One membership epoch as the coordinating manager decides it and every manager and data node installs it:
/// Skeen's view (data nodes with their groups and incarnations, live senders) plus what the network layer needs on
/// top. Each member's <em>life</em> is a random id its process draws at start, so a restarted process is never
/// taken for the one it replaces (a data node admitted for one life ignores the view in any other). Every sender
/// ever removed stays listed in <see cref="DeadSenders"/>: a view change re-runs their orphan recovery, so a verdict
/// that a dying coordinator delivered to only some replicas still reaches all of them. Immutable.
/// </summary>
internal sealed class ClusterView
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

    /// <summary>
    /// Whether this view replaces <paramref name="other"/>. On one line of succession that is the higher epoch. Two lines
    /// exist only when a coordinator taken for dead (a pause, cut connections) went on deciding after its successor took
    /// over: a view that lists the other's coordinator as dead wins whatever its epoch (a dead sender never coordinates
    /// again, so the other view is on the deposed line, whose epochs may have run ahead); when each lists the other's
    /// coordinator as dead, the higher coordinator wins (a successor outranks the sender it took over from); views that
    /// know nothing of each other's coordinators go by (epoch, coordinator).
    /// </summary>
    public bool Supersedes(ClusterView? other)
    {
        if (other is null) return true;
        if (Coordinator != other.Coordinator)
        {
            bool deposesOther = DeadSenders.BinarySearch(other.Coordinator) >= 0;
            bool deposedByOther = other.DeadSenders.BinarySearch(Coordinator) >= 0;
            if (deposesOther != deposedByOther) return deposesOther;
            if (deposesOther) return Coordinator > other.Coordinator;
        }
        return Epoch > other.Epoch || (Epoch == other.Epoch && Coordinator > other.Coordinator);
    }

    public override string ToString() =>
        $"{Skeen} coordinator {Coordinator}{(DeadSenders.IsEmpty ? "" : $" dead [{string.Join(' ', DeadSenders)}]")}";
}
