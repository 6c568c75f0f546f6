namespace BitFusion.Core.Abcast;

/// <summary>
/// A delivered message whose final timestamp a replica must still remember: until its sender reports it stable,
/// some other destination may hold it only tentatively, and if the sender dies, recovery needs this timestamp to
/// finalise it there at the same position.
/// </summary>
internal readonly record struct DeliveredFinal(MessageId Id, long Timestamp, long Epoch, GroupSet Groups);
