namespace BitFusion.Harness;

/// <summary>A backup's view of the cluster, from its Status reply: complete (holds every primary) and per primary its state.</summary>
internal sealed record BackupReport(bool Complete, BackupReport.PrimaryView[] Primaries)
{
    public sealed record PrimaryView(long Seq, long Length, bool Serving, bool Loaded);
}
