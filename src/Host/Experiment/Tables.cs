using System.Text;
using BitFusion.Host.Measure;

namespace BitFusion.Host.Experiment;

/// <summary>The report's markdown tables, with the 2016 study's figures and our ratio beside our own where it published one.</summary>
internal static class Tables
{
    public static string UpdateTable(Measurements m)
    {
        var md = new StringBuilder();
        md.AppendLine("## Update time per append (µs)");
        md.AppendLine();
        md.AppendLine("Measured where the study measured (fusion: at the primary, from request to every backup's ack; replication: at the manager, from request to final at every replica) and end to end at the client.");
        md.AppendLine();
        md.AppendLine("| mechanism | where | g | f | n | mean | median | p99 | p99.9 | max | std dev | study mean | study median | study median / ours |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (mechanism, groups, faults, where, s) in Summary.Updates(m))
        {
            string study = "", ratio = "";
            if (faults == 1 && where is "primary" or "manager" && StudyFigures.UpdateMicros.TryGetValue(groups, out var fig))
            {
                (double mean, double median) = mechanism == "fusion" ? (fig.FusionMean, fig.FusionMedian) : (fig.ArMean, fig.ArMedian);
                study = $"{mean:0.0} | {median:0.0}";
                ratio = $"{median / Math.Max(0.001, s.Median):0}×";
            }
            else study = " | ";
            md.AppendLine($"| {mechanism} | {where} | {groups} | {faults} | {s.Count} | {s.Mean:0.0} | {s.Median:0.0} | {s.P99:0.0} | {s.P999:0.0} | {s.Max:0.0} | {s.StdDev:0.0} | {study} | {ratio} |");
        }
        return md.ToString();
    }

    public static string RecoveryTable(Measurements m)
    {
        var md = new StringBuilder();
        md.AppendLine("## Recovery time per crashed node");
        md.AppendLine();
        md.AppendLine("`reported`: the node's own figure (fusion: from start of recovery to serving the rebuilt list; replication: the rejoin pause). `wall`: from SIGKILL to the restarted process serving, process start included.");
        md.AppendLine();
        md.AppendLine("| mechanism | g | f | bits | recoveries | verified | reported median ms | reported p99 ms | wall median ms | wire bytes | study | study / ours |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Summary.Recoveries(m))
        {
            double? study = r.Mechanism == "replication" ? StudyFigures.ArRecoveryMicros
                : r.Groups == 2 && r.Bits == 10_000 ? StudyFigures.FusionRecoveryMicrosG2 : null;
            string studyText = study is { } s ? $"{s / 1000:0.0} ms" : "";
            string ratio = study is { } s2 ? $"{s2 / Math.Max(0.001, r.Reported.Median):0}×" : "";
            md.AppendLine($"| {r.Mechanism} | {r.Groups} | {r.Faults} | {r.Bits:N0} | {r.Count} | {r.Verified} | {r.Reported.Median / 1000:0.000} | {r.Reported.P99 / 1000:0.000} | {r.Wall.Median / 1000:0.0} | {r.WireBytes:N0} | {studyText} | {ratio} |");
        }
        return md.ToString();
    }

    /// <summary>Fusion's recoveries by what crashed, and where each kind's time went (medians, ms).</summary>
    public static string RecoveryBreakdownTable(Measurements m)
    {
        var rows = Summary.RecoveryBreakdown(m).ToList();
        if (rows.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine("### Where fusion's recovery time goes");
        md.AppendLine();
        md.AppendLine("A restarted primary's phases, from its ready line: `connect` (dial, handshake and attach of every backup), `reconcile` (earlier attempts: " +
                      "retries and roll-forwards), `status`, `cut` (the residuals) and `solve` (solve and resume); `start` is from its command starting to its ready line. " +
                      "A restarted backup's `re-encode` runs from its ready line to holding every primary again (polled every ms). Medians in ms; `reported` is the table above's figure.");
        md.AppendLine();
        md.AppendLine("| g | f | crashed | n | reported median | reported p99 | connect | reconcile | status | cut | solve | max attempts | start | re-encode | re-encode p99 | wall median |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            RecoverySample[] s = r.Samples;
            bool backup = s.All(x => x.Phases.Reencode > 0);
            string Ms(Func<RecoverySample, double> pick) => $"{LatencyStats.FromMicros(s.Select(pick).ToArray()).Median / 1000:0.000}";
            string phases = backup ? "| | | | | | | | "
                : $"| {Ms(x => x.Phases.Connect)} | {Ms(x => x.Phases.Reconcile)} | {Ms(x => x.Phases.Status)} | {Ms(x => x.Phases.Cut)} | {Ms(x => x.Phases.Solve)} | " +
                  $"{s.Max(x => x.Phases.Attempts)} | {Ms(x => x.Phases.Start)} | ";
            string reencode = backup ? $"{Ms(x => x.Phases.Reencode)} | {LatencyStats.FromMicros(s.Select(x => x.Phases.Reencode).ToArray()).P99 / 1000:0.000}" : " | ";
            md.AppendLine($"| {r.Groups} | {r.Faults} | {r.Kind} | {s.Length} | {r.Reported.Median / 1000:0.000} | {r.Reported.P99 / 1000:0.000} {phases}{reencode} | {r.Wall.Median / 1000:0.0} |");
        }
        return md.ToString();
    }

    public static string SpaceTable(Measurements m)
    {
        var md = new StringBuilder();
        md.AppendLine("## Space (exact heap bytes from bitfusion-heap, and raw data bytes)");
        md.AppendLine();
        md.AppendLine("Backups: fusion's f backup servers; replication's f extra replicas per group. Total: every process that holds list data (fusion primaries + backups; every replica).");
        md.AppendLine();
        md.AppendLine("| mechanism | g | f | elements per list | backup heap B | backup data B | backup heap / data | total heap B | total data B | total heap / data | fusion / AR (total heap) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var rows = Summary.Space(m).ToList();
        foreach (var s in rows)
        {
            var ar = rows.FirstOrDefault(o => o.Mechanism == "replication" && o.Groups == s.Groups && o.Faults == s.Faults && o.Elements == s.Elements);
            string ratio = s.Mechanism == "fusion" && ar.TotalHeap > 0 ? $"{(double)s.TotalHeap / ar.TotalHeap:P0}" : "";
            md.AppendLine($"| {s.Mechanism} | {s.Groups} | {s.Faults} | {s.Elements:N0} | {s.BackupHeap:N0} | {s.BackupData:N0} | {Over(s.BackupHeap, s.BackupData)} | " +
                          $"{s.TotalHeap:N0} | {s.TotalData:N0} | {Over(s.TotalHeap, s.TotalData)} | {ratio} |");
        }
        md.AppendLine();
        md.AppendLine($"The study: the fused backup of a 10,000-element list took about {StudyFigures.FusedBackupBytes10k / 1e6:0.00} MB; at g = 5 fusion needed about {StudyFigures.FusionToArSpaceAtG5:P0} of AR's space.");
        return md.ToString();
    }

    private static string Over(long heap, long data) => data > 0 ? $"{(double)heap / data:0.000}" : "";

    public static string WireTable(Measurements m)
    {
        if (m.Wire.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine("## Messages and bytes on the wire");
        md.AppendLine();
        md.AppendLine("| mechanism | g | f | per | bytes | frames |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (WireSample w in m.Wire.OrderBy(w => w.Faults).ThenBy(w => w.Mechanism).ThenBy(w => w.Phase).ThenBy(w => w.Groups))
            md.AppendLine($"| {w.Mechanism} | {w.Groups} | {w.Faults} | {w.Phase} | {w.BytesPerUnit:0} | {w.FramesPerUnit:0.0} |");
        return md.ToString();
    }

    public static string RttTable(Measurements m)
    {
        if (m.Rtt.Count == 0) return "";
        var md = new StringBuilder();
        md.AppendLine("## Over slower networks (`--rtt`)");
        md.AppendLine();
        md.AppendLine("Every node-to-node connection passes a fault proxy in the experiment process (one per ordered pair of nodes, " +
                      "each node dialing its peers at their proxies), which holds each chunk for half the added time each way; " +
                      "clients and probes reach the nodes directly. `direct` is the main run, with no proxy. `probe RTT` is a small " +
                      "frame's round trip over the same path in the same run: what the proxy really adds, on its own at +0 ms. Update time: at the " +
                      "fusion primary / replication manager (median and p99) and at the client; recovery: the node's own figure (fusion: a primary's " +
                      "rebuild; replication: a rejoin's pause) and wall time from SIGKILL to serving.");
        md.AppendLine();
        md.AppendLine("| mechanism | g | f | path | probe RTT median µs | update median µs | update p99 µs | client median µs | recoveries (verified) | recovery median ms | wall median ms |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (RttPoint p in m.Rtt.OrderBy(p => p.Faults).ThenBy(p => p.Mechanism).ThenBy(p => p.Groups).ThenBy(p => p.AddedRttMs ?? -1))
            md.AppendLine($"| {p.Mechanism} | {p.Groups} | {p.Faults} | {p.Path} | {p.ProbeRtt.Median:0.0} | {p.Update.Median:0.0} | {p.Update.P99:0.0} | " +
                          $"{p.Client.Median:0.0} | {p.Recoveries} ({p.Verified}) | {p.Recovery.Median / 1000:0.000} | {p.RecoveryWall.Median / 1000:0.0} |");
        return md.ToString();
    }
}
