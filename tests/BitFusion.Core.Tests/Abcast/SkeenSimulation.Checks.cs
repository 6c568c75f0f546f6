using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

internal sealed partial class SkeenSimulation
{
    /// <summary>The guarantees, checked once nothing is left in flight.</summary>
    private void CheckOutcome()
    {
        SimReceiver[] live = _receivers.Values.Where(r => r.Alive).OrderBy(r => r.Node).ToArray();
        foreach (SimReceiver r in live)
        {
            if (r.Skeen.IsStopped || !r.Skeen.IsCaughtUp) Fail($"node {r.Node} is {(r.Skeen.IsStopped ? "stopped" : "not caught up")} at the end");
            if (r.Skeen.View!.Epoch != _view.Epoch) Fail($"node {r.Node} ended in view {r.Skeen.View.Epoch}, not {_view.Epoch}");
            if (r.Skeen.PendingCount != 0) Fail($"node {r.Node} still holds {r.Skeen.PendingCount} pending messages");
            CheckLog(r);
        }

        foreach (IGrouping<int, SimReceiver> group in live.GroupBy(r => r.Group))
        {
            SimReceiver first = group.First();
            foreach (SimReceiver other in group.Skip(1))
                if (!first.Log.SequenceEqual(other.Log))
                    Fail($"group {group.Key}: node {first.Node} and node {other.Node} (transferred prefix {other.TransferredPrefix}) " +
                         $"differ at {FirstDifference(first.Log, other.Log)}");
        }

        var timestampOf = new Dictionary<MessageId, long>();
        var logOfGroup = live.GroupBy(r => r.Group).ToDictionary(g => g.Key, g => g.First().Log.Select(e => e.Id).ToHashSet());
        foreach (SimReceiver r in live)
            foreach ((MessageId id, long ts) in r.Log)
            {
                if (timestampOf.TryGetValue(id, out long seen) && seen != ts) Fail($"{id} delivered at {seen} in one place and {ts} at node {r.Node}");
                timestampOf[id] = ts;
                if (!_sent.TryGetValue(id, out GroupSet groups)) Fail($"node {r.Node} delivered {id}, which nobody sent");
                foreach (int g in groups)
                    if (!logOfGroup[g].Contains(id)) Fail($"{id} to groups {groups} was delivered in group {r.Group} but not in group {g}");
            }

        foreach (MessageId id in _completed.Keys)
            foreach (int g in _sent[id])
                if (!logOfGroup[g].Contains(id)) Fail($"{id} was completed by its sender but group {g} never delivered it");
        foreach (SimSender s in _senders.Values.Where(s => s.Alive))
            if (s.Skeen.UnfinishedCount != 0) Fail($"sender {s.Id} still waits on {s.Skeen.UnfinishedCount} multicasts");
        if (_abandoned.Count > 0) Fail($"multicasts abandoned although every group kept a replica: {string.Join(' ', _abandoned)}");
    }

    private void CheckLog(SimReceiver r)
    {
        var ids = new HashSet<MessageId>();
        for (int i = 0; i < r.Log.Count; i++)
        {
            if (!ids.Add(r.Log[i].Id)) Fail($"node {r.Node} delivered {r.Log[i].Id} twice");
            if (i > 0 && new OrderKey(r.Log[i - 1].Timestamp, r.Log[i - 1].Id) >= new OrderKey(r.Log[i].Timestamp, r.Log[i].Id))
                Fail($"node {r.Node} delivered {r.Log[i - 1]} before {r.Log[i]}, against the total order");
        }
    }

    private static string FirstDifference(List<(MessageId Id, long Timestamp)> a, List<(MessageId Id, long Timestamp)> b)
    {
        int i = 0;
        while (i < a.Count && i < b.Count && a[i] == b[i]) i++;
        string At(List<(MessageId Id, long Timestamp)> l) => i < l.Count ? l[i].ToString() : "end";
        return $"position {i}: {At(a)} vs {At(b)} (lengths {a.Count} and {b.Count})";
    }
}
