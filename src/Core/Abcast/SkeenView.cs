namespace BitFusion.Core.Abcast;

/// <summary>
/// One membership epoch: the live data nodes (each in one group) and the live senders. Views are decided by the
/// membership coordinator and installed by every process in epoch order; a process may skip epochs. Immutable.
/// </summary>
internal sealed class SkeenView
{
    private readonly ViewMember[] _receivers;
    private readonly int[] _groupStart;
    private readonly int[] _senders;

    public SkeenView(long epoch, IEnumerable<ViewMember> receivers, IEnumerable<int> senders)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentNullException.ThrowIfNull(receivers);
        ArgumentNullException.ThrowIfNull(senders);
        ViewMember[] members = receivers.ToArray();
        int[] senderIds = senders.ToArray();
        Validate(epoch, members, senderIds);

        Array.Sort(members, static (a, b) => a.Group != b.Group ? a.Group.CompareTo(b.Group) : a.Node.CompareTo(b.Node));
        Array.Sort(senderIds);
        _receivers = members;
        _senders = senderIds;
        _groupStart = new int[GroupSet.Capacity + 1];
        foreach (ViewMember m in members) _groupStart[m.Group + 1]++;
        for (int g = 0; g < GroupSet.Capacity; g++) _groupStart[g + 1] += _groupStart[g];
        ulong mask = 0;
        foreach (ViewMember m in members) mask |= 1UL << m.Group;
        Epoch = epoch;
        Groups = new GroupSet(mask);
    }

    public long Epoch { get; }

    /// <summary>Groups with at least one member.</summary>
    public GroupSet Groups { get; }

    /// <summary>Members ordered by group, then node.</summary>
    public ReadOnlySpan<ViewMember> Receivers => _receivers;

    /// <summary>Sender ids in ascending order.</summary>
    public ReadOnlySpan<int> Senders => _senders;

    public ReadOnlySpan<ViewMember> MembersOf(int group) =>
        (uint)group < GroupSet.Capacity
            ? _receivers.AsSpan(_groupStart[group], _groupStart[group + 1] - _groupStart[group])
            : ReadOnlySpan<ViewMember>.Empty;

    public bool TryGetReceiver(int node, out ViewMember member)
    {
        foreach (ViewMember m in _receivers)
        {
            if (m.Node != node) continue;
            member = m;
            return true;
        }
        member = default;
        return false;
    }

    /// <summary>Whether this exact incarnation of <paramref name="node"/> is a member.</summary>
    public bool Contains(int node, long incarnation) => TryGetReceiver(node, out ViewMember m) && m.Incarnation == incarnation;

    public bool ContainsSender(int sender) => _senders.AsSpan().Contains(sender);

    /// <summary>Epoch 0: founding members that all start empty, and the first senders.</summary>
    public static SkeenView Initial(IEnumerable<(int Node, int Group)> receivers, IEnumerable<int> senders)
    {
        ArgumentNullException.ThrowIfNull(receivers);
        return new SkeenView(0, receivers.Select(r => new ViewMember(r.Node, r.Group, 0)), senders);
    }

    /// <summary>The next epoch without <paramref name="node"/> (it crashed or left).</summary>
    public SkeenView WithoutReceiver(int node)
    {
        if (!TryGetReceiver(node, out _))
            throw new ArgumentException($"Node {node} is not in view {Epoch}.", nameof(node));
        return new SkeenView(Epoch + 1, _receivers.Where(m => m.Node != node), _senders);
    }

    /// <summary>
    /// The next epoch with <paramref name="node"/> (re)joining <paramref name="group"/>, its state streamed from
    /// <paramref name="donor"/>; the new incarnation is the new epoch.
    /// </summary>
    public SkeenView WithJoiner(int node, int group, int donor) =>
        new(Epoch + 1, _receivers.Append(new ViewMember(node, group, Epoch + 1, donor)), _senders);

    public SkeenView WithoutSender(int sender)
    {
        if (!ContainsSender(sender))
            throw new ArgumentException($"Sender {sender} is not in view {Epoch}.", nameof(sender));
        return new SkeenView(Epoch + 1, _receivers, _senders.Where(s => s != sender));
    }

    public SkeenView WithSender(int sender) => new(Epoch + 1, _receivers, _senders.Append(sender));

    public override string ToString() => $"view {Epoch}: [{string.Join(' ', _receivers)}] senders [{string.Join(' ', _senders)}]";

    private static void Validate(long epoch, ViewMember[] members, int[] senders)
    {
        var nodes = new HashSet<int>();
        foreach (ViewMember m in members)
        {
            if (m.Node < 0) throw new ArgumentException($"Node id {m.Node} is negative.", nameof(members));
            if ((uint)m.Group >= GroupSet.Capacity)
                throw new ArgumentException($"Node {m.Node}: group {m.Group} is outside 0..{GroupSet.Capacity - 1}.", nameof(members));
            if (m.Incarnation < 0 || m.Incarnation > epoch)
                throw new ArgumentException($"Node {m.Node}: incarnation {m.Incarnation} is outside 0..{epoch}.", nameof(members));
            if (!nodes.Add(m.Node)) throw new ArgumentException($"Node {m.Node} appears twice in view {epoch}.", nameof(members));
        }
        var senderSet = new HashSet<int>();
        foreach (int s in senders)
        {
            if (s < 0) throw new ArgumentException($"Sender id {s} is negative.", nameof(senders));
            if (!senderSet.Add(s)) throw new ArgumentException($"Sender {s} appears twice in view {epoch}.", nameof(senders));
        }
        // Only members admitted by this very view are checked: a donor may die after its joiner caught up.
        foreach (ViewMember m in members)
        {
            if (m.Incarnation != epoch || epoch == 0) continue;
            if (m.NeedsTransfer)
            {
                bool donorFits = m.Donor != m.Node
                    && members.Any(d => d.Node == m.Donor && d.Group == m.Group && d.Incarnation < epoch);
                if (!donorFits)
                    throw new ArgumentException(
                        $"Node {m.Node} joins group {m.Group} in view {epoch} from donor {m.Donor}, which is not an older member of that group.",
                        nameof(members));
            }
            else if (members.Any(o => o.Group == m.Group && o.Incarnation < epoch))
            {
                throw new ArgumentException(
                    $"Node {m.Node} joins group {m.Group} in view {epoch} without a donor, but the group already holds state.",
                    nameof(members));
            }
        }
    }
}
