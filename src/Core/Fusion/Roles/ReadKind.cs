namespace BitFusion.Core.Fusion.Roles;

/// <summary>The reads a primary answers once every earlier write is durable.</summary>
internal enum ReadKind : byte
{
    Get,
    Count,
    All,
}
