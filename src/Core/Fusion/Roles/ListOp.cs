namespace BitFusion.Core.Fusion.Roles;

/// <summary>The mutations a client can ask of a list; each yields one delta.</summary>
internal enum ListOp : byte
{
    Append,
    Set,
    Insert,
    RemoveAt,
    SwapRemoveAt,
}
