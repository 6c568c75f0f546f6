namespace BitFusion.Host.Experiment;

/// <summary>
/// Recovery time and space against list length: for each size, a fresh cluster per mechanism (g = 2 as in the
/// study's recovery figure, or fewer if the run has fewer groups) filled with that many bits per list.
/// </summary>
internal sealed class SizeSweep(ExperimentSettings settings, string binary, HeapTool heap, Measurements m, IProgressSink progress)
{
    public async Task RunAsync(int bits, int faults, CancellationToken cancellation)
    {
        int groups = Math.Min(2, settings.Groups.Max());
        foreach (string mechanism in settings.Mechanisms)
        {
            if (mechanism == "fusion") await new FusionRun(settings, binary, heap, m, progress).SweepAsync(bits, groups, faults, cancellation);
            else await new ReplicationRun(settings, binary, heap, m, progress).SweepAsync(bits, groups, faults, cancellation);
        }
    }
}
