using BitFusion.Core.Bits;
using BitFusion.Core.Transfer;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A non-blocking cut in progress at a backup, computing residual = Σ_{lost} c·list_lost without pausing anyone.
/// At T0 the backup copies its fused words; it then asks each survivor for a snapshot sent on the same ordered
/// stream as the survivor's deltas, and XORs in c · (snapshot ⊕ every delta of that survivor applied since T0 and
/// before the snapshot's first chunk), which is c · (the survivor's state at T0). The snapshot's chunks are XORed in
/// as they arrive; the survivor's deltas after its first chunk (later than the snapshot's seq) are applied to the
/// backup but not folded into the cut, so they may arrive between its chunks. When every survivor has answered,
/// the fused words at T0 minus the survivors at T0 leave only the lost primaries.
/// </summary>
internal sealed class Cut
{
    public Cut(long requester, ulong requestId, ulong token, int[] lost, ReadOnlySpan<ulong> fusedAtT0, int primaries)
    {
        Requester = requester;
        RequestId = requestId;
        Token = token;
        Lost = lost;
        Waiting = new bool[primaries];
        Folding = new bool[primaries];
        Snapshots = new ChunkCursor[primaries];
        Words = WordBuffers.Rent(Math.Max(16, fusedAtT0.Length));
        fusedAtT0.CopyTo(Words);
        Words.AsSpan(fusedAtT0.Length).Clear();
    }

    public long Requester { get; }
    public ulong RequestId { get; }
    public ulong Token { get; }
    public int[] Lost { get; }
    /// <summary>The survivor's snapshot is not complete yet.</summary>
    public bool[] Waiting { get; }

    /// <summary>The survivor's snapshot has not started: its deltas are folded into the cut.</summary>
    public bool[] Folding { get; }

    /// <summary>How much of each survivor's snapshot has been folded in, once it started.</summary>
    public ChunkCursor[] Snapshots { get; }
    public int Outstanding { get; set; }
    public ulong[] Words { get; private set; }

    public void EnsureWords(int words)
    {
        if (words <= Words.Length) return;
        // A survivor appending through a long cut grows it delta by delta: an eighth of room keeps that linear.
        ulong[] bigger = WordBuffers.Rent(Math.Max(words, Words.Length + Words.Length / 8));
        Words.AsSpan().CopyTo(bigger);
        bigger.AsSpan(Words.Length).Clear();
        WordBuffers.Return(Words);
        Words = bigger;
    }

    public void Release() => WordBuffers.Return(Words);

    /// <summary>Hands the words (from <see cref="WordBuffers"/>) to whoever sends the residual; the cut holds none afterwards.</summary>
    public ulong[] TakeWords()
    {
        ulong[] words = Words;
        Words = [];
        return words;
    }
}
