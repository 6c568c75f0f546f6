namespace BitFusion.Core.Tests.Abcast;

/// <summary>Shape and fault budget of one simulated run.</summary>
internal sealed record SimOptions(
    int Groups,
    int ReplicasPerGroup,
    int Senders,
    int MessagesPerSender,
    double MultiGroupChance = 0.3,
    int ReceiverCrashes = 0,
    int SenderCrashes = 0,
    int LinkDrops = 0,
    int SenderJoins = 0,
    bool BuggyDelivery = false);
