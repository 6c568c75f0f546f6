namespace BitFusion.Core.Tests.Replication;

/// <summary>What really happened in whole-cluster runs, so tests can assert the faults they meant to inject occurred.</summary>
internal sealed class ClusterSimStats
{
    public int Writes;
    public int Acknowledged;
    public int Delivered;
    public int Reads;
    public int ReadsServed;
    public int ReadsRefused;

    /// <summary>Reads a caught-up replica turned away because it held no read lease (a manager then tries another).</summary>
    public int ReadsWithoutLease;
    public int NodeCrashes;
    public int ManagerCrashes;
    public int CoordinatorCrashes;
    public int Pauses;
    public int Suspicions;
    public int LinkDrops;
    public int Rejoins;
    public int Transfers;
    public int StartOvers;
    public int OrphanReports;
    public int Decisions;
    public int Fences;
    public int ManagerExclusions;
    public int TransfersLost;
    public int Retries;
    public int AnswersLost;
    public int Unknown;
    public int NotDone;
    public int Disputes;

    public void Add(ClusterSimStats o)
    {
        Writes += o.Writes;
        Acknowledged += o.Acknowledged;
        Delivered += o.Delivered;
        Reads += o.Reads;
        ReadsServed += o.ReadsServed;
        ReadsRefused += o.ReadsRefused;
        ReadsWithoutLease += o.ReadsWithoutLease;
        NodeCrashes += o.NodeCrashes;
        ManagerCrashes += o.ManagerCrashes;
        CoordinatorCrashes += o.CoordinatorCrashes;
        Pauses += o.Pauses;
        Suspicions += o.Suspicions;
        LinkDrops += o.LinkDrops;
        Rejoins += o.Rejoins;
        Transfers += o.Transfers;
        StartOvers += o.StartOvers;
        OrphanReports += o.OrphanReports;
        Decisions += o.Decisions;
        Fences += o.Fences;
        ManagerExclusions += o.ManagerExclusions;
        TransfersLost += o.TransfersLost;
        Retries += o.Retries;
        AnswersLost += o.AnswersLost;
        Unknown += o.Unknown;
        NotDone += o.NotDone;
        Disputes += o.Disputes;
    }

    public override string ToString() =>
        $"writes {Writes} (acknowledged {Acknowledged}), delivered {Delivered}, reads served by replicas {Reads} (answered {ReadsServed}, refused {ReadsRefused}, turned away without a lease {ReadsWithoutLease}), node crashes {NodeCrashes}, " +
        $"manager crashes {ManagerCrashes} (coordinator {CoordinatorCrashes}), pauses {Pauses} (suspected {Suspicions}), " +
        $"link drops {LinkDrops}, rejoins {Rejoins}, transfers {Transfers}, start-overs {StartOvers}, orphan reports {OrphanReports}, " +
        $"verdicts sent {Decisions}, fenced {Fences}, managers excluded {ManagerExclusions}, transfer pushes lost {TransfersLost}, " +
        $"client retries {Retries} (answers lost {AnswersLost}), answered unknown {Unknown}, not done {NotDone}, " +
        $"reports disputed until a view change {Disputes}";
}
