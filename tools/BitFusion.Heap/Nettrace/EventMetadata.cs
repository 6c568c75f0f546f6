namespace BitFusion.Heap.Nettrace;

/// <summary>What a metadata record says about one kind of event. Runtime events carry no field descriptions
/// in the stream (their layouts are fixed by the runtime's manifest), so only the identity is kept.</summary>
public sealed record EventMetadata(int MetadataId, string ProviderName, int EventId, string EventName, int Version);
