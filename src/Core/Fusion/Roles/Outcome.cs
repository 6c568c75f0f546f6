namespace BitFusion.Core.Fusion.Roles;

/// <summary>Why a client request did not complete with a result. Each has one meaning, so a client knows whether to retry.</summary>
internal enum Outcome : byte
{
    /// <summary>Not applied (not serving, too few live backups, window full): safe to retry.</summary>
    NotDone,

    /// <summary>Applied here but not acknowledged by enough backups before they were lost: it may or may not survive a crash.</summary>
    Unknown,

    /// <summary>The index is outside the list; nothing changed.</summary>
    OutOfRange,
}
