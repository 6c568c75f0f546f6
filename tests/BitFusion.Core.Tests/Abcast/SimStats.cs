namespace BitFusion.Core.Tests.Abcast;

/// <summary>What actually happened in runs, so tests can assert the faults they meant to inject really occurred.</summary>
internal sealed class SimStats
{
    public int Delivered;
    public int ReceiverCrashes;
    public int Rejoins;
    public int Transfers;
    public int ReflectedDrops;
    public int SenderCrashes;
    public int OrphansFinalised;
    public int OrphansDiscarded;
    public int LinkDrops;
    public int Duplicates;
    public int PoisonedJoins;

    public void Add(SimStats o)
    {
        Delivered += o.Delivered;
        ReceiverCrashes += o.ReceiverCrashes;
        Rejoins += o.Rejoins;
        Transfers += o.Transfers;
        ReflectedDrops += o.ReflectedDrops;
        SenderCrashes += o.SenderCrashes;
        OrphansFinalised += o.OrphansFinalised;
        OrphansDiscarded += o.OrphansDiscarded;
        LinkDrops += o.LinkDrops;
        Duplicates += o.Duplicates;
        PoisonedJoins += o.PoisonedJoins;
    }

    public override string ToString() =>
        $"delivered {Delivered}, receiver crashes {ReceiverCrashes}, rejoins {Rejoins}, transfers {Transfers} " +
        $"(dropped as reflected {ReflectedDrops}), sender crashes {SenderCrashes}, orphans finalised {OrphansFinalised} " +
        $"/ discarded {OrphansDiscarded}, link drops {LinkDrops}, duplicates {Duplicates}, joins aborted on a final below the transferred state {PoisonedJoins}";
}
