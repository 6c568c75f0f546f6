namespace BitFusion.Core.Fusion.Roles;

/// <summary>The reads a primary answers once every earlier write is durable.</summary>
public enum ReadKind : byte
{
    Get,
    Count,
    All,
}
