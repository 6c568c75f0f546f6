using BitFusion.Net.Protocol;

namespace BitFusion.Net.Fusion;

/// <summary>A backup's answer to Status: whether it holds every primary, and per primary its seq, length and phase.</summary>
internal sealed record BackupStatus(BackupLink Link, bool Complete, long[] Seq, int[] Length, bool[] Serving, bool[] Loaded)
{
    public static BackupStatus Parse(BackupLink link, byte[] payload, int primaries)
    {
        var r = new PayloadReader(payload);
        r.U64();
        bool complete = r.Bool();
        int n = r.Count("primaries", 256);
        if (n != primaries) throw new ProtocolException($"Backup {link.Index} reports {n} primaries; the configuration has {primaries}.");
        var seq = new long[n];
        var length = new int[n];
        var serving = new bool[n];
        var loaded = new bool[n];
        for (int p = 0; p < n; p++)
        {
            seq[p] = r.I64();
            length[p] = r.Count("length", int.MaxValue);
            serving[p] = r.Bool();
            loaded[p] = r.Bool();
            r.I64();
        }
        r.End();
        return new BackupStatus(link, complete, seq, length, serving, loaded);
    }
}
