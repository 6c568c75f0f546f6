namespace BitFusion.Core.Fusion;

/// <summary>What a backup did with a delta, judged by its sequence number against the primary's last applied one.</summary>
internal enum ApplyOutcome
{
    /// <summary>The next in sequence: applied.</summary>
    Applied,

    /// <summary>Already applied (a resend after a reconnect): ignored, so applying is idempotent.</summary>
    Duplicate,

    /// <summary>An earlier delta is missing: not applied; the caller must hold it until the gap fills.</summary>
    Gap,
}
