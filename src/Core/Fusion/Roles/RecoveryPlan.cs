namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// One roll-forward: backup <c>Behind</c> gets primary <c>Primary</c>'s deltas From+1..To (life Life) retained at
/// <c>Source</c>. With <c>AdoptFrom</c> set, Behind still holds the primary in that older life at seq From, which is
/// exactly the basis Life was rebuilt from: it first adopts Life at From, then takes the deltas.
/// </summary>
internal readonly record struct ReconcileStep(int Primary, int Source, int Behind, long From, long To, long Life, long AdoptFrom = 0);

internal enum PlanKind : byte
{
    /// <summary>No backup ever held this primary and all are reachable: a new cluster, the list starts empty.</summary>
    Fresh,

    /// <summary>Not possible yet (see <see cref="RecoveryPlan.Reason"/>); try again with fresh statuses.</summary>
    Wait,

    /// <summary>Roll lagging backups forward first, then look again.</summary>
    Reconcile,

    /// <summary>Ask <see cref="RecoveryPlan.Chosen"/> for residual cuts over <see cref="RecoveryPlan.Lost"/>.</summary>
    Cut,
}

/// <summary>
/// What a recovering primary does next, decided from the backups' reports alone (<see cref="RecoveryPlanner"/>).
/// <c>Current</c> lists the backups whose contribution for this primary is exactly the rebuild's basis
/// (<c>BasisLife</c>, <c>BasisSeq</c>): they resume in the new life; every other backup is re-encoded.
/// </summary>
internal sealed record RecoveryPlan(
    PlanKind Kind,
    string Reason,
    int[] Lost,
    int[] Chosen,
    int[] Current,
    ReconcileStep[] Steps,
    long BasisLife,
    long BasisSeq,
    long NextLifeCounter);
