using System.Text;
using System.Text.Json;

namespace BitFusion.Heap.Report;

/// <summary>The machine-readable report (<c>--json</c>), written field by field so it needs no reflection under AOT.</summary>
public static class JsonFormatter
{
    public static string Format(HeapReport r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("processId", r.ProcessId);
            w.WriteString("runtime", r.Runtime);
            HeapTotals t = r.Totals;
            w.WriteStartObject("heap");
            w.WriteNumber("objects", t.Objects);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteNumber("references", t.References);
            w.WriteNumber("roots", t.Roots);
            w.WriteNumber("orphans", t.Orphans);
            w.WriteNumber("types", t.Types);
            w.WriteNumber("gcNumber", t.GcNumber);
            w.WriteNumber("gcSeconds", Math.Round(t.GcSeconds, 4));
            w.WriteNumber("collectSeconds", Math.Round(t.CollectSeconds, 4));
            w.WriteNumber("analyzeSeconds", Math.Round(t.AnalyzeSeconds, 4));
            w.WriteEndObject();
            w.WriteStartArray("backups");
            foreach (BackupEntry b in r.Backups)
            {
                w.WriteStartObject();
                w.WriteString("type", b.Type);
                w.WriteString("address", $"0x{b.Address:x}");
                w.WriteNumber("ownBytes", b.ShallowBytes);
                w.WriteNumber("retainedBytes", b.RetainedBytes);
                w.WriteNumber("retainedObjects", b.RetainedObjects);
                WriteTypes(w, "parts", b.Parts);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteTypes(w, "topTypes", r.TopTypes);
            w.WriteStartArray("notes");
            foreach (string note in r.Notes) w.WriteStringValue(note);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteTypes(Utf8JsonWriter w, string name, IReadOnlyList<TypeTotal> types)
    {
        w.WriteStartArray(name);
        foreach (TypeTotal x in types)
        {
            w.WriteStartObject();
            w.WriteString("type", x.Type);
            w.WriteNumber("objects", x.Objects);
            w.WriteNumber("bytes", x.Bytes);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
