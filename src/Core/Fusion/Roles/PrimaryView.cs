namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// What one backup holds of one primary: whether it holds its contribution at all, for which incarnation (life)
/// and seq, the bit length, whether that primary is currently serving it, the first delta it still retains, and the
/// basis of its life — the (life, seq) a recovery rebuilt it from — when this backup entered that life by Serving or
/// Adopt (0, 0 when it took the life from a snapshot or a fresh start).
/// </summary>
internal readonly record struct PrimaryView(bool Loaded, long Life, long Seq, long Length, bool Serving, long RetainedFrom, long BasisLife = 0, long BasisSeq = 0);
