using Spectre.Console;

namespace BitFusion.Host.Experiment;

/// <summary>The tables printed at the end of a run: ours beside the 2016 study's, with the ratio.</summary>
internal static class ConsoleSummary
{
    public static void Print(Measurements m)
    {
        var updates = new Table().Title("Update time per append (µs), where the study measured").Border(TableBorder.Rounded);
        foreach (string c in new[] { "mechanism", "g", "f", "mean", "median", "p99", "p99.9", "max", "study median", "study / ours" })
            updates.AddColumn(new TableColumn(c).RightAligned());
        foreach (var (mechanism, g, f, where, s) in Summary.Updates(m).Where(u => u.Where is "primary" or "manager"))
        {
            string study = "", ratio = "";
            if (f == 1 && StudyFigures.UpdateMicros.TryGetValue(g, out var fig))
            {
                double median = mechanism == "fusion" ? fig.FusionMedian : fig.ArMedian;
                study = $"{median:0}";
                ratio = $"{median / Math.Max(0.001, s.Median):0}×";
            }
            updates.AddRow(mechanism, $"{g}", $"{f}", $"{s.Mean:0.0}", $"{s.Median:0.0}", $"{s.P99:0.0}", $"{s.P999:0.0}", $"{s.Max:0}", study, ratio);
        }
        AnsiConsole.Write(updates);

        var recoveries = new Table().Title("Recovery per crashed node").Border(TableBorder.Rounded);
        foreach (string c in new[] { "mechanism", "g", "f", "bits", "count", "verified", "median ms", "p99 ms", "wall median ms", "study" })
            recoveries.AddColumn(new TableColumn(c).RightAligned());
        foreach (var r in Summary.Recoveries(m))
        {
            string study = r.Mechanism == "replication" ? $"{StudyFigures.ArRecoveryMicros / 1000:0.0} ms"
                : r.Groups == 2 && r.Bits == 10_000 ? $"{StudyFigures.FusionRecoveryMicrosG2 / 1000:0} ms" : "";
            recoveries.AddRow(r.Mechanism, $"{r.Groups}", $"{r.Faults}", $"{r.Bits:N0}", $"{r.Count}", $"{r.Verified}",
                $"{r.Reported.Median / 1000:0.000}", $"{r.Reported.P99 / 1000:0.000}", $"{r.Wall.Median / 1000:0.0}", study);
        }
        AnsiConsole.Write(recoveries);

        var space = new Table().Title("Space: exact heap bytes (bitfusion-heap)").Border(TableBorder.Rounded);
        foreach (string c in new[] { "mechanism", "g", "f", "elements", "backup heap B", "backup data B", "total heap B", "total data B" })
            space.AddColumn(new TableColumn(c).RightAligned());
        foreach (var s in Summary.Space(m))
            space.AddRow(s.Mechanism, $"{s.Groups}", $"{s.Faults}", $"{s.Elements:N0}", $"{s.BackupHeap:N0}", $"{s.BackupData:N0}", $"{s.TotalHeap:N0}", $"{s.TotalData:N0}");
        AnsiConsole.Write(space);

        if (m.Rtt.Count == 0) return;
        var rtt = new Table().Title("Over slower networks: every node-to-node link through a proxy adding the RTT shown").Border(TableBorder.Rounded);
        foreach (string c in new[] { "mechanism", "g", "f", "path", "probe RTT µs", "update median µs", "update p99 µs", "recovery median ms" })
            rtt.AddColumn(new TableColumn(c).RightAligned());
        foreach (RttPoint p in m.Rtt.OrderBy(p => p.Faults).ThenBy(p => p.Mechanism).ThenBy(p => p.Groups).ThenBy(p => p.AddedRttMs ?? -1))
            rtt.AddRow(p.Mechanism, $"{p.Groups}", $"{p.Faults}", p.Path, $"{p.ProbeRtt.Median:0.0}", $"{p.Update.Median:0.0}", $"{p.Update.P99:0.0}", $"{p.Recovery.Median / 1000:0.000}");
        AnsiConsole.Write(rtt);
    }
}
