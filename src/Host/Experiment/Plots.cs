using ScottPlot;

namespace BitFusion.Host.Experiment;

/// <summary>The report's PNG figures (ScottPlot): the study's Figure 7 (space) and Figures 8–12 (recovery), plus update-time distributions.</summary>
internal static class Plots
{
    private const int Width = 900, Height = 560;

    public static List<string> WriteAll(Measurements m, string folder)
    {
        var written = new List<string>();
        Space(m, folder, written);
        RecoveryByConfiguration(m, folder, written, log: false);
        RecoveryByConfiguration(m, folder, written, log: true);
        RecoveryByLength(m, folder, written, log: false);
        RecoveryByLength(m, folder, written, log: true);
        UpdateDistributions(m, folder, written);
        AgainstRtt(m, folder, written, "update-vs-rtt.png", "Update time vs added round-trip time", "median µs per update (at the primary / manager)", p => p.Update.Median);
        AgainstRtt(m, folder, written, "recovery-vs-rtt.png", "Recovery time vs added round-trip time", "median ms per recovery (rebuild / rejoin pause)", p => p.Recovery.Median / 1000);
        return written;
    }

    private static void Space(Measurements m, string folder, List<string> written)
    {
        var rows = Summary.Space(m).ToList();
        if (rows.Count == 0) return;
        int faults = rows.Min(r => r.Faults);
        int groups = rows.Where(r => r.Faults == faults).Max(r => r.Groups);
        var plot = new Plot();
        foreach (var (label, mechanism, pick) in new (string, string, Func<(string, int, int, int, long BackupHeap, long BackupData, long, long), double>)[]
                 {
                     ("fusion: backups (heap)", "fusion", r => r.BackupHeap),
                     ("fusion: backups (data only)", "fusion", r => r.BackupData),
                     ("replication: backup replicas (heap)", "replication", r => r.BackupHeap),
                 })
        {
            var series = rows.Where(r => r.Mechanism == mechanism && r.Faults == faults && r.Groups == groups).OrderBy(r => r.Elements).ToList();
            if (series.Count == 0) continue;
            var s = plot.Add.Scatter(series.Select(r => Math.Log10(Math.Max(1, r.Elements))).ToArray(), series.Select(r => Math.Log10(Math.Max(1, pick(r)))).ToArray());
            s.LegendText = label;
        }
        LogAxes(plot, x: true, y: true);
        plot.Title($"Backup space vs elements per list (g = {groups}, f = {faults})");
        plot.XLabel("elements per list (log)");
        plot.YLabel("bytes (log)");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, folder, "space-vs-elements.png", written);
    }

    private static void RecoveryByConfiguration(Measurements m, string folder, List<string> written, bool log)
    {
        var rows = Summary.Recoveries(m).Where(r => !r.Sweep).ToList();
        if (rows.Count == 0) return;
        var plot = new Plot();
        foreach (var group in rows.GroupBy(r => (r.Mechanism, r.Faults)))
        {
            var series = group.OrderBy(r => r.Groups).ToList();
            double[] ys = series.Select(r => r.Reported.Median / 1000).ToArray();
            var s = plot.Add.Scatter(series.Select(r => (double)r.Groups).ToArray(), log ? ys.Select(y => Math.Log10(Math.Max(1e-3, y))).ToArray() : ys);
            s.LegendText = $"{group.Key.Mechanism}, f = {group.Key.Faults} (median)";
        }
        if (log) LogAxes(plot, x: false, y: true);
        plot.Title("Recovery time per crashed node vs number of groups/primaries");
        plot.XLabel("groups (AR) / primaries (fusion)");
        plot.YLabel(log ? "ms (log)" : "ms");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, folder, log ? "recovery-vs-config-log.png" : "recovery-vs-config.png", written);
    }

    private static void RecoveryByLength(Measurements m, string folder, List<string> written, bool log)
    {
        var rows = Summary.Recoveries(m).Where(r => r.Sweep).ToList();
        if (rows.Select(r => r.Bits).Distinct().Count() < 2) return;
        var plot = new Plot();
        foreach (var group in rows.GroupBy(r => (r.Mechanism, r.Faults, r.Groups)).Where(g => g.Select(r => r.Bits).Distinct().Count() > 1))
        {
            var series = group.OrderBy(r => r.Bits).ToList();
            double[] xs = series.Select(r => (double)r.Bits).ToArray();
            double[] ys = series.Select(r => r.Reported.Median / 1000).ToArray();
            var s = plot.Add.Scatter(log ? xs.Select(Math.Log10).ToArray() : xs, log ? ys.Select(y => Math.Log10(Math.Max(1e-3, y))).ToArray() : ys);
            s.LegendText = $"{group.Key.Mechanism}, g = {group.Key.Groups}, f = {group.Key.Faults}";
        }
        if (log) LogAxes(plot, x: true, y: true);
        plot.Title("Recovery time vs list length");
        plot.XLabel(log ? "bits per list (log)" : "bits per list");
        plot.YLabel(log ? "ms (log)" : "ms");
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, folder, log ? "recovery-vs-length-log.png" : "recovery-vs-length.png", written);
    }

    private static void UpdateDistributions(Measurements m, string folder, List<string> written)
    {
        if (m.Updates.Count == 0) return;
        var plot = new Plot();
        foreach (var group in m.Updates.GroupBy(u => (u.Mechanism, u.Where, u.Faults)).OrderBy(g => g.Key.Mechanism))
        {
            double[] sorted = group.Select(u => u.Micros).Order().ToArray();
            int points = Math.Min(sorted.Length, 2000);
            var xs = new double[points];
            var ys = new double[points];
            for (int i = 0; i < points; i++)
            {
                int k = (int)((long)i * (sorted.Length - 1) / Math.Max(1, points - 1));
                xs[i] = Math.Log10(Math.Max(0.1, sorted[k]));
                ys[i] = 100.0 * (k + 1) / sorted.Length;
            }
            var s = plot.Add.Scatter(xs, ys);
            s.MarkerSize = 0;
            s.LegendText = $"{group.Key.Mechanism} at {group.Key.Where}, f = {group.Key.Faults}";
        }
        LogAxes(plot, x: true, y: false);
        plot.Title("Update time distribution (all configurations)");
        plot.XLabel("µs per update (log)");
        plot.YLabel("% of updates at or below");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, folder, "update-time-cdf.png", written);
    }

    /// <summary>One line per mechanism and configuration through its proxied points (x = added RTT); the direct run is a marker at x = 0 below.</summary>
    private static void AgainstRtt(Measurements m, string folder, List<string> written, string name, string title, string yLabel, Func<RttPoint, double> pick)
    {
        if (m.Rtt.Count == 0) return;
        var plot = new Plot();
        foreach (var series in m.Rtt.GroupBy(p => (p.Mechanism, p.Groups, p.Faults)))
        {
            RttPoint[] proxied = series.Where(p => p.AddedRttMs is not null).OrderBy(p => p.AddedRttMs).ToArray();
            var line = plot.Add.Scatter(proxied.Select(p => p.AddedRttMs!.Value).ToArray(), proxied.Select(pick).ToArray());
            line.LegendText = $"{series.Key.Mechanism}, g = {series.Key.Groups}, f = {series.Key.Faults} (through proxies)";
            if (series.FirstOrDefault(p => p.AddedRttMs is null) is { } direct)
            {
                var marker = plot.Add.Scatter(new[] { 0.0 }, new[] { pick(direct) });
                marker.Color = line.Color;
                marker.MarkerShape = MarkerShape.OpenCircle;
                marker.MarkerSize = 10;
                marker.LegendText = $"{series.Key.Mechanism}, g = {series.Key.Groups}, f = {series.Key.Faults} (direct)";
            }
        }
        plot.Title(title);
        plot.XLabel("ms added per node-to-node round trip");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, folder, name, written);
    }

    private static void LogAxes(Plot plot, bool x, bool y)
    {
        static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (x) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (y) plot.Axes.Left.TickGenerator = LogTicks();
    }

    private static void Save(Plot plot, string folder, string name, List<string> written)
    {
        string path = Path.Combine(folder, name);
        plot.SavePng(path, Width, Height);
        written.Add(path);
    }
}
