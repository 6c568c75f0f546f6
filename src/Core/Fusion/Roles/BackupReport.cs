namespace BitFusion.Core.Fusion.Roles;

/// <summary>A backup's answer to Status: its index, whether it holds every primary, and its view of each.</summary>
internal sealed record BackupReport(int Backup, bool Complete, PrimaryView[] Primaries);
