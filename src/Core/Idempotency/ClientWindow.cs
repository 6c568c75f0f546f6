namespace BitFusion.Core.Idempotency;

/// <summary>
/// One client's recent writes: a ring indexed by seq modulo its length, holding the seqs in (High − length, High]
/// that arrived since <see cref="Floor"/>; a seq in that range without an entry never arrived here. The ring starts
/// small and doubles up to the table's window while the client's seqs span more than it holds, so its length is
/// always at least min(window, High − Floor + 1): memory follows what clients pipeline. Linked into the table's
/// recency list; reused for another client on eviction.
/// </summary>
internal sealed class ClientWindow(int window)
{

    public ulong Client;

    /// <summary>The first seq this table saw from the client: it cannot vouch for anything older.</summary>
    public ulong Floor;

    /// <summary>The highest seq seen; Floor − 1 before the first.</summary>
    public ulong High;

    public Entry[] Ring = new Entry[Math.Min(8, window)];

    public ClientWindow? Newer, Older;

    public void Reset(ulong client, ulong floor)
    {
        Client = client;
        Floor = floor;
        High = floor - 1;
        Array.Clear(Ring);
    }

    public ref Entry At(ulong seq) => ref Ring[(int)(seq % (ulong)Ring.Length)];

    /// <summary>Makes room for <paramref name="seq"/> (above High) without dropping a seq the window still covers.</summary>
    public void Reach(ulong seq)
    {
        ulong span = seq - Floor + 1;
        if (span <= (ulong)Ring.Length || Ring.Length >= window) return;
        int length = (int)Math.Min((ulong)window, System.Numerics.BitOperations.RoundUpToPowerOf2(span));
        var ring = new Entry[length];
        foreach (Entry e in Ring)
            if (e.State != State.Empty && High - e.Seq < (ulong)Ring.Length) ring[(int)(e.Seq % (ulong)length)] = e;
        Ring = ring;
    }

    public enum State : byte
    {
        Empty,
        InFlight,
        Done,
    }

    public struct Entry
    {
        public ulong Seq;
        public State State;
        public WriteResult First;
    }
}
