using System.Globalization;
using System.Text;

namespace BitFusion.Heap.Report;

/// <summary>The human-readable report: a summary line, one row per backup, the top types, then any notes.</summary>
public static class TableFormatter
{
    public static string Format(HeapReport r)
    {
        var s = new StringBuilder();
        HeapTotals t = r.Totals;
        s.Append(CultureInfo.InvariantCulture,
            $"Process {r.ProcessId} ({r.Runtime}): {N(t.Objects)} objects, {N(t.Bytes)} bytes on the GC heap\n");
        s.Append(CultureInfo.InvariantCulture,
            $"  heap walk in induced GC #{t.GcNumber}, which paused the process {t.GcSeconds * 1000:0.0} ms; {N(t.Roots)} roots, {N(t.Orphans)} orphans; ");
        s.Append(CultureInfo.InvariantCulture, $"dump {t.CollectSeconds:0.00} s, analysis {t.AnalyzeSeconds:0.00} s\n\n");

        s.Append("Backups: the bytes each one retains (itself, its arrays, its bookkeeping; objects shared with the rest of the heap excluded)\n");
        if (r.Backups.Count == 0)
        {
            s.Append("  (none)\n");
        }
        else
        {
            string[][] rows = [.. r.Backups.Select(b => new[]
            {
                b.Type, $"0x{b.Address:x}", N(b.ShallowBytes), N(b.RetainedBytes), N(b.RetainedObjects),
                string.Join(", ", b.Parts.Select(p => $"{N(p.Objects)} × {p.Type} = {N(p.Bytes)}")),
            })];
            Table(s, ["Type", "Address", "Own", "Retained", "Objects", "Retained objects by type"], rows, rightAligned: [2, 3, 4]);
            string count = r.Backups.Count == 1 ? "1 backup object retains" : $"{r.Backups.Count} backup objects retain";
            s.Append(CultureInfo.InvariantCulture, $"  {count} {N(r.Backups.Sum(b => b.RetainedBytes))} bytes in all.\n");
        }

        s.Append("\nTop types by bytes\n");
        Table(s, ["Type", "Objects", "Bytes"], [.. r.TopTypes.Select(x => new[] { x.Type, N(x.Objects), N(x.Bytes) })], rightAligned: [1, 2]);
        foreach (string note in r.Notes) s.Append("\nNote: ").Append(note);
        if (r.Notes.Count > 0) s.Append('\n');
        return s.ToString();
    }

    private static void Table(StringBuilder s, string[] header, string[][] rows, int[] rightAligned)
    {
        var width = new int[header.Length];
        foreach (string[] row in rows.Prepend(header))
            for (int c = 0; c < row.Length; c++) width[c] = Math.Max(width[c], row[c].Length);
        foreach (string[] row in rows.Prepend(header))
        {
            s.Append(' ');
            for (int c = 0; c < row.Length; c++)
            {
                s.Append(' ');
                bool last = c == row.Length - 1;
                if (rightAligned.Contains(c)) s.Append(row[c].PadLeft(width[c]));
                else s.Append(last ? row[c] : row[c].PadRight(width[c]));
            }
            s.Append('\n');
        }
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
