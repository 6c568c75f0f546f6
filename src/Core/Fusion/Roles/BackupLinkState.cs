namespace BitFusion.Core.Fusion.Roles;

/// <summary>What a primary knows of its link to one backup.</summary>
internal sealed class BackupLinkState
{
    /// <summary>The environment's id of the current connection; 0 when there is none.</summary>
    public long Link;

    /// <summary>The backup answered Attach with <see cref="Seen"/>.</summary>
    public bool Attached;
    public PrimaryView Seen;
    public bool Complete;

    /// <summary>Deltas go to this backup and writes wait for its acknowledgement.</summary>
    public bool Streaming;
    public long Acked;

    /// <summary>The last dial was refused: nothing listens there, the backup is down.</summary>
    public bool Refused;

    /// <summary>Since when the backup has not been attached (its silence is measured from here).</summary>
    public long DownSince;
}
