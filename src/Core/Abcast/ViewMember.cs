namespace BitFusion.Core.Abcast;

/// <summary>
/// One data node of a view. <see cref="Incarnation"/> is the epoch of the view that admitted this process: a
/// restarted node comes back under the same <see cref="Node"/> id with a new incarnation, and nothing addressed to
/// an older incarnation reaches it. <see cref="Donor"/> is the replica of the same group that streams the newcomer
/// its state, or <see cref="NoDonor"/> for a replica that starts from the empty state (a founding member).
/// </summary>
internal readonly record struct ViewMember(int Node, int Group, long Incarnation, int Donor = ViewMember.NoDonor)
{
    public const int NoDonor = -1;

    public bool NeedsTransfer => Donor != NoDonor;

    public override string ToString() =>
        NeedsTransfer ? $"n{Node}/g{Group}@{Incarnation}<-n{Donor}" : $"n{Node}/g{Group}@{Incarnation}";
}
