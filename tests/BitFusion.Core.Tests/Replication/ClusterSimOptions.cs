namespace BitFusion.Core.Tests.Replication;

/// <summary>Shape and fault budget of one whole-cluster run.</summary>
internal sealed record ClusterSimOptions(
    int Groups,
    int ReplicasPerGroup,
    int Managers,
    int Writes,
    int Reads = 0,
    int NodeCrashes = 0,
    int ManagerCrashes = 0,
    int Pauses = 0,
    int LinkDrops = 0,
    long SuspectAfter = 150,
    int Window = 8);
