namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// What one backup holds of one primary: whether it holds its contribution at all, for which incarnation (life)
/// and seq, the bit length, whether that primary is currently serving it, and the first delta it still retains.
/// </summary>
internal readonly record struct PrimaryView(bool Loaded, long Life, long Seq, long Length, bool Serving, long RetainedFrom);
