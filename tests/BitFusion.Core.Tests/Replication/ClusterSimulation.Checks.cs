using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

internal sealed partial class ClusterSimulation
{
    /// <summary>
    /// Once nothing is left to happen: every live data node serves as a member of the coordinator's view with no state push
    /// left unconfirmed, nothing
    /// is pending anywhere and every manager answered every write and read, the replicas of a group hold the same writes in
    /// the same order with none twice, and every acknowledged write is there, at the position it was given.
    /// </summary>
    private void CheckOutcome()
    {
        SimManager? coordinator = _managers.Values.Where(m => m.Alive && !m.Membership.IsExcluded && m.Membership.IsCoordinator)
            .OrderBy(m => m.Membership.SenderId).FirstOrDefault();
        if (coordinator?.Membership.View is not { } view) Fail("no live manager coordinates once the faults stopped");
        else
        {
            foreach (SimManager m in _managers.Values)
                if (m.Alive && m.Membership.View?.Epoch != view.Epoch)
                    Fail($"manager {m.Node} holds view {m.Membership.View?.Epoch} but the coordinator {coordinator.Node} holds {view}");
            foreach (SimDataNode d in _dataNodes.Values)
            {
                if (view.ReceiverLife(d.Node) != d.Member.Life)
                    Fail($"node {d.Node} (life {d.Member.Life}, phase {d.Member.Phase}, view {d.Member.View?.Epoch}) is not a member of the final {view}");
                if (!d.Member.IsServing)
                    Fail($"node {d.Node} (life {d.Member.Life}, view {d.Member.View?.Epoch}, has state {d.Member.HasState}, pending {d.Member.Skeen?.PendingCount}) never serves");
                if (d.Member.Skeen!.PendingCount > 0) Fail($"node {d.Node} still holds {d.Member.Skeen.PendingCount} pending messages");
                if (d.Member.UnconfirmedPushes > 0) Fail($"node {d.Node} still has {d.Member.UnconfirmedPushes} state pushes unconfirmed");
            }
            foreach (SimManager m in _managers.Values)
            {
                if (m.Alive && m.Sender is { } s && s.UnfinishedCount > 0) Fail($"manager {m.Node} still waits on {s.UnfinishedCount} multicasts");
                if (m.Alive && m.Writes.InFlight + m.Writes.Queued > 0)
                    Fail($"manager {m.Node} never answers {m.Writes.InFlight} writes in flight and {m.Writes.Queued} queued");
                if (m.Alive && m.OpenReads.Count > 0)
                    Fail($"manager {m.Node} never answers reads {string.Join(' ', m.OpenReads)} ({m.Reads.Count} at replicas)");
            }
        }
        for (int g = 0; g < _options.Groups; g++)
        {
            SimDataNode[] replicas = _dataNodes.Values.Where(d => d.Group == g).ToArray();
            List<int> first = replicas[0].Log;
            foreach (SimDataNode d in replicas)
            {
                if (!d.Log.SequenceEqual(first))
                    Fail($"group {g}: node {d.Node} holds [{string.Join(' ', d.Log)}] but node {replicas[0].Node} holds [{string.Join(' ', first)}]");
                if (d.Log.Distinct().Count() != d.Log.Count) Fail($"node {d.Node} applied a write twice");
            }
            var held = first.ToHashSet();
            foreach (int write in _ackedAt.Keys)
                if (_writeGroup[write] == g && !held.Contains(write)) Fail($"acknowledged write {write} of group {g} is lost");
            foreach ((int write, long position) in _ackedPosition)
                if (_writeGroup[write] == g && first.IndexOf(write) + 1 != position)
                    Fail($"write {write} of group {g} was acknowledged at position {position} but is at {first.IndexOf(write) + 1}");
        }
    }
}
