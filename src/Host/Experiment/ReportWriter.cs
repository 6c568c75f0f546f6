using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BitFusion.Host.Experiment;

/// <summary>Writes report.md (every table, the study's figures beside ours), the raw CSVs and, on request, summary.json.</summary>
internal static class ReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(Measurements m, ExperimentSettings settings, string folder, IReadOnlyList<string> plots, TimeSpan elapsed)
    {
        Directory.CreateDirectory(folder);
        WriteCsv(Path.Combine(folder, "updates.csv"), "mechanism,groups,faults,where,micros",
            m.Updates.Select(u => $"{u.Mechanism},{u.Groups},{u.Faults},{u.Where},{u.Micros.ToString("0.###", Inv)}"));
        WriteCsv(Path.Combine(folder, "recoveries.csv"),
            "mechanism,groups,faults,node,list_bits,reported_micros,wall_micros,wire_bytes,verified,crashed,connect_micros,reconcile_micros,status_micros,cut_micros,solve_micros,attempts,start_micros,reencode_micros",
            m.Recoveries.Select(r => $"{r.Mechanism},{r.Groups},{r.Faults},{r.Node},{r.ListBits},{r.ReportedMicros.ToString("0.#", Inv)},{r.WallMicros.ToString("0.#", Inv)},{r.WireBytes},{r.Verified}," +
                                     $"{r.Kind},{r.Phases.Connect.ToString(Inv)},{r.Phases.Reconcile.ToString(Inv)},{r.Phases.Status.ToString(Inv)},{r.Phases.Cut.ToString(Inv)}," +
                                     $"{r.Phases.Solve.ToString(Inv)},{r.Phases.Attempts},{r.Phases.Start.ToString(Inv)},{r.Phases.Reencode.ToString("0.#", Inv)}"));
        WriteCsv(Path.Combine(folder, "space.csv"), "mechanism,groups,faults,elements,process,heap_bytes,data_bytes",
            m.Space.Select(s => $"{s.Mechanism},{s.Groups},{s.Faults},{s.Elements},{s.Process},{s.HeapBytes},{s.DataBytes}"));
        WriteCsv(Path.Combine(folder, "wire.csv"), "mechanism,groups,faults,phase,bytes_per_unit,frames_per_unit",
            m.Wire.Select(w => $"{w.Mechanism},{w.Groups},{w.Faults},{w.Phase},{w.BytesPerUnit.ToString("0.##", Inv)},{w.FramesPerUnit.ToString("0.##", Inv)}"));
        if (m.Rtt.Count > 0)
            WriteCsv(Path.Combine(folder, "rtt.csv"), "mechanism,groups,faults,added_rtt_ms,probe_rtt_median_micros,update_median_micros,update_p99_micros,client_median_micros,recoveries,verified,recovery_median_micros,recovery_wall_median_micros",
                m.Rtt.Select(p => $"{p.Mechanism},{p.Groups},{p.Faults},{(p.AddedRttMs is { } r ? r.ToString("0.###", Inv) : "direct")},{p.ProbeRtt.Median.ToString("0.#", Inv)}," +
                                  $"{p.Update.Median.ToString("0.#", Inv)},{p.Update.P99.ToString("0.#", Inv)},{p.Client.Median.ToString("0.#", Inv)},{p.Recoveries},{p.Verified}," +
                                  $"{p.Recovery.Median.ToString("0.#", Inv)},{p.RecoveryWall.Median.ToString("0.#", Inv)}"));
        File.WriteAllText(Path.Combine(folder, "report.md"), Markdown(m, settings, folder, plots, elapsed));
        if (settings.Json) WriteJson(m, Path.Combine(folder, "summary.json"));
    }

    public static string Markdown(Measurements m, ExperimentSettings settings, string folder, IReadOnlyList<string> plots, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.AppendLine("# BitFusion experiment: fusion vs active replication");
        md.AppendLine();
        md.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineInfo.Describe()}, in {elapsed.TotalSeconds:0} s.");
        md.AppendLine();
        md.AppendLine($"Settings: {settings.Describe()}");
        md.AppendLine();
        md.AppendLine(m.Failures.Count == 0
            ? $"Every recovered list was checked against what its owner had: {m.Recoveries.Count(r => r.Verified)} of {m.Recoveries.Count} recoveries verified, 0 mismatches."
            : $"**{m.Failures.Count} FAILURES**:\n\n" + string.Join("\n", m.Failures.Select(f => $"- {f}")));
        md.AppendLine();
        md.Append(Tables.UpdateTable(m));
        md.AppendLine();
        md.Append(Tables.RecoveryTable(m));
        md.AppendLine();
        if (Tables.RecoveryBreakdownTable(m) is { Length: > 0 } breakdown)
        {
            md.Append(breakdown);
            md.AppendLine();
        }
        md.Append(Tables.SpaceTable(m));
        md.AppendLine();
        md.Append(Tables.WireTable(m));
        if (m.Rtt.Count > 0)
        {
            md.AppendLine();
            md.Append(Tables.RttTable(m));
        }
        if (plots.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Figures");
            md.AppendLine();
            foreach (string plot in plots) md.AppendLine($"![{Path.GetFileNameWithoutExtension(plot)}]({Path.GetRelativePath(folder, plot)})");
        }
        md.AppendLine();
        md.AppendLine("Raw measurements: `updates.csv`, `recoveries.csv`, `space.csv`, `wire.csv`" + (m.Rtt.Count > 0 ? ", `rtt.csv`" : "") + " beside this file.");
        return md.ToString();
    }

    private static void WriteCsv(string path, string header, IEnumerable<string> rows)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine(header);
        foreach (string row in rows) writer.WriteLine(row);
    }

    private static void WriteJson(Measurements m, string path)
    {
        using FileStream stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("updates");
        foreach (var (mechanism, groups, faults, where, s) in Summary.Updates(m))
        {
            json.WriteStartObject();
            json.WriteString("mechanism", mechanism);
            json.WriteNumber("groups", groups);
            json.WriteNumber("faults", faults);
            json.WriteString("where", where);
            json.WriteNumber("count", s.Count);
            json.WriteNumber("meanMicros", s.Mean);
            json.WriteNumber("medianMicros", s.Median);
            json.WriteNumber("p99Micros", s.P99);
            json.WriteNumber("p999Micros", s.P999);
            json.WriteNumber("maxMicros", s.Max);
            json.WriteNumber("stdDevMicros", s.StdDev);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("recoveries");
        foreach (var r in Summary.Recoveries(m))
        {
            json.WriteStartObject();
            json.WriteString("mechanism", r.Mechanism);
            json.WriteNumber("groups", r.Groups);
            json.WriteNumber("faults", r.Faults);
            json.WriteNumber("listBits", r.Bits);
            json.WriteNumber("count", r.Count);
            json.WriteNumber("verified", r.Verified);
            json.WriteNumber("medianMicros", r.Reported.Median);
            json.WriteNumber("p99Micros", r.Reported.P99);
            json.WriteNumber("wallMedianMicros", r.Wall.Median);
            json.WriteNumber("wireBytes", r.WireBytes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("space");
        foreach (var s in Summary.Space(m))
        {
            json.WriteStartObject();
            json.WriteString("mechanism", s.Mechanism);
            json.WriteNumber("groups", s.Groups);
            json.WriteNumber("faults", s.Faults);
            json.WriteNumber("elements", s.Elements);
            json.WriteNumber("backupHeapBytes", s.BackupHeap);
            json.WriteNumber("backupDataBytes", s.BackupData);
            json.WriteNumber("totalHeapBytes", s.TotalHeap);
            json.WriteNumber("totalDataBytes", s.TotalData);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("failures");
        foreach (string f in m.Failures) json.WriteStringValue(f);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
