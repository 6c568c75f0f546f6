using BitFusion.Host.Bench;
using BitFusion.Host.Measure;

namespace BitFusion.Host.Experiment;

/// <summary>
/// <c>--rtt</c>: the update-time and recovery measurements again with every node-to-node connection through a
/// fault proxy that adds the given time per round trip (half each way). Clients and probes reach the nodes
/// directly, as in the main run, whose figures are the "direct" rows. Each point runs on a fresh cluster.
/// </summary>
internal sealed class RttSweep(ExperimentSettings settings, string binary, HeapTool heap, Measurements m, IProgressSink progress)
{
    private const int ProbeRoundTrips = 2000;

    public async Task RunAsync(CancellationToken cancellation)
    {
        // The main run's rows may include crashed backups; here, as there, the figure compared is a primary's rebuild.
        ExperimentSettings primariesOnly = settings with { KillBackups = false };
        LatencyStats direct = await LoopbackRtt.MeasureAsync(ProbeRoundTrips, cancellation);
        var probes = new Dictionary<double, LatencyStats>();
        foreach (double rtt in settings.Rtt)
            probes[rtt] = await LoopbackRtt.MeasureAsync(rtt >= 1 ? ProbeRoundTrips / 10 : ProbeRoundTrips, cancellation, TimeSpan.FromMilliseconds(rtt / 2));
        foreach (int f in settings.Faults)
            foreach (string mechanism in settings.Mechanisms)
                foreach (int g in settings.Groups)
                {
                    m.Rtt.Add(RttPoint.From(m, mechanism, g, f, null, direct));
                    foreach (double rtt in settings.Rtt)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        int steps = (settings.Ops + settings.Step - 1) / settings.Step;
                        progress.Configuration($"{mechanism} g={g} f={f} +{rtt:0.###} ms RTT", settings.Ops * g, steps * (mechanism == "fusion" ? g : g * (f + 1)));
                        var run = new Measurements();
                        try
                        {
                            if (mechanism == "fusion") await new FusionRun(primariesOnly, binary, heap, run, progress) { AddedRttMs = rtt }.RunAsync(g, f, cancellation);
                            else await new ReplicationRun(primariesOnly, binary, heap, run, progress) { AddedRttMs = rtt }.RunAsync(g, f, cancellation);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            run.Failures.Add($"{mechanism} g={g} f={f} aborted: {e.Message}");
                        }
                        m.Failures.AddRange(run.Failures.Select(failure => $"at +{rtt:0.###} ms RTT: {failure}"));
                        m.Rtt.Add(RttPoint.From(run, mechanism, g, f, rtt, probes[rtt]));
                    }
                }
    }
}
