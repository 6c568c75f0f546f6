using System.Runtime.InteropServices;
using BitFusion.Core.Galois;
using BitFusion.Core.Kernels;

namespace BitFusion.Core.Fusion;

/// <summary>
/// The f × n code over GF(2^8) that fuses n primaries into f backups. It is a Cauchy matrix
/// 1 / (x_j + y_i) with x_j = j and y_i = f + i, each column scaled so row 0 is all ones: backup 0 is the plain
/// XOR of the primaries, and every square submatrix stays invertible, so any t ≤ f lost primaries can be
/// solved from any t surviving backups.
/// </summary>
public sealed class FusionCode
{
    /// <summary>The most primaries plus backups one code can hold: GF(2^8) has 256 distinct points.</summary>
    public const int MaxProcesses = 256;

    private readonly GfKernel _kernel;

    /// <summary>
    /// Builds the code for <paramref name="primaries"/> lists and <paramref name="faults"/> backups, running on
    /// <paramref name="kernel"/> (default <see cref="GfKernel.Best"/>). Throws
    /// <see cref="ArgumentOutOfRangeException"/> unless n ≥ 1, f ≥ 1 and n + f ≤ <see cref="MaxProcesses"/>. Immutable once
    /// built: safe to share between threads.
    /// </summary>
    public FusionCode(int primaries, int faults, GfKernel? kernel = null)
    {
        if (primaries < 1) throw new ArgumentOutOfRangeException(nameof(primaries), primaries, "A fusion code needs at least one primary.");
        if (faults < 1) throw new ArgumentOutOfRangeException(nameof(faults), faults, "A fusion code needs at least one backup (f ≥ 1).");
        if (primaries + faults > MaxProcesses)
            throw new ArgumentOutOfRangeException(nameof(primaries), primaries,
                $"n + f = {primaries + faults} exceeds {MaxProcesses}: GF(2^8) has only 256 distinct points for the Cauchy matrix.");
        Primaries = primaries;
        Faults = faults;
        _kernel = kernel ?? GfKernel.Best;
        Matrix = new GfMatrix(faults, primaries);
        for (int i = 0; i < primaries; i++)
        {
            byte scale = (byte)(faults + i); // 1 / (x_0 + y_i) inverted, so row 0 becomes 1
            for (int j = 0; j < faults; j++)
                Matrix[j, i] = Gf256.Mul(Gf256.Inv((byte)(j ^ (faults + i))), scale);
        }
    }

    /// <summary>n, the number of primaries (lists) the code fuses.</summary>
    public int Primaries { get; }

    /// <summary>f, the number of backups, and so the most primaries that can be lost at once and rebuilt.</summary>
    public int Faults { get; }

    /// <summary>The f × n coefficient matrix: backup j holds Σ_i Matrix[j, i] · list_i. Do not modify it.</summary>
    public GfMatrix Matrix { get; }

    /// <summary>The kernel this code encodes and solves with.</summary>
    public GfKernel Kernel => _kernel;

    /// <summary>
    /// The coefficient backup <paramref name="backup"/> multiplies primary <paramref name="primary"/>'s words by (1 for
    /// every primary in backup 0).
    /// </summary>
    public byte Coefficient(int backup, int primary) => Matrix[backup, primary];

    /// <summary>Builds backup <paramref name="backup"/> afresh from every primary's words (also how a lost backup is re-encoded).</summary>
    internal FusedBackup EncodeBackup(int backup, IReadOnlyList<PrimaryState> primaries)
    {
        CheckBackup(backup);
        if (primaries.Count != Primaries)
            throw new ArgumentException($"Expected the state of all {Primaries} primaries; got {primaries.Count}.", nameof(primaries));
        var fused = new FusedBackup(this, backup);
        var lengths = new long[Primaries];
        var seqs = new long[Primaries];
        var sources = new ReadOnlyMemory<ulong>[Primaries];
        int maxWords = 0;
        for (int i = 0; i < Primaries; i++)
        {
            lengths[i] = primaries[i].Length;
            seqs[i] = primaries[i].Seq;
            int words = Bits.Delta.WordsFor(lengths[i]);
            if (primaries[i].Words.Length < words)
                throw new ArgumentException($"Primary {i} claims {lengths[i]} bits but gives {primaries[i].Words.Length} words.", nameof(primaries));
            sources[i] = primaries[i].Words[..words];
            maxWords = Math.Max(maxWords, words);
        }
        Memory<ulong> output = fused.Prepare(lengths, seqs, maxWords);
        LinearCombiner.Combine(_kernel, Matrix.Row(backup), sources, [output], maxWords);
        return fused;
    }

    /// <summary>
    /// Rebuilds the lost primaries from as many surviving backups as there are losses, plus every surviving
    /// primary. The backups must agree on every primary's sequence number, and the surviving primaries'
    /// words must be the states those sequence numbers name.
    /// </summary>
    internal RecoveredList[] Decode(
        ReadOnlySpan<int> lost,
        IReadOnlyList<FusedBackup> backups,
        IReadOnlyList<ReadOnlyMemory<ulong>?> survivors)
    {
        int t = lost.Length;
        if (t == 0) return [];
        if (t > Faults) throw new ArgumentException($"{t} lost primaries exceed f = {Faults}.", nameof(lost));
        if (backups.Count < t) throw new ArgumentException($"{t} lost primaries need {t} surviving backups; {backups.Count} given.", nameof(backups));
        if (survivors.Count != Primaries) throw new ArgumentException($"Expected a slot for each of {Primaries} primaries.", nameof(survivors));
        var isLost = new bool[Primaries];
        foreach (int p in lost)
        {
            if ((uint)p >= (uint)Primaries) throw new ArgumentOutOfRangeException(nameof(lost), p, $"Primary index must be below {Primaries}.");
            if (isLost[p]) throw new ArgumentException($"Primary {p} is listed twice.", nameof(lost));
            isLost[p] = true;
        }
        for (int i = 0; i < Primaries; i++)
            if (!isLost[i] && survivors[i] is null)
                throw new ArgumentException($"Primary {i} is neither lost nor given.", nameof(survivors));
        var used = new FusedBackup[t];
        for (int b = 0; b < t; b++)
        {
            used[b] = backups[b];
            if (used[b].Code != this) throw new ArgumentException("A backup belongs to a different code.", nameof(backups));
            for (int i = 0; i < Primaries; i++)
                if (used[b].Seq(i) != used[0].Seq(i))
                    throw new InvalidOperationException(
                        $"Backups {used[0].BackupIndex} and {used[b].BackupIndex} disagree on primary {i} (seq {used[0].Seq(i)} vs {used[b].Seq(i)}); reconcile before decoding.");
        }

        Span<int> usedIndex = stackalloc int[t];
        for (int b = 0; b < t; b++) usedIndex[b] = used[b].BackupIndex;
        GfMatrix combo = RecoveryMatrix(lost, usedIndex);

        var sources = new List<ReadOnlyMemory<ulong>>(Primaries);
        for (int b = 0; b < t; b++) sources.Add(used[b].WordsMemory);
        for (int i = 0; i < Primaries; i++)
            if (!isLost[i]) sources.Add(survivors[i]!.Value);

        var results = new RecoveredList[t];
        var outputs = new Memory<ulong>[t];
        int maxWords = 0;
        for (int l = 0; l < t; l++)
        {
            long length = used[0].Length(lost[l]);
            maxWords = Math.Max(maxWords, Bits.Delta.WordsFor(length));
            results[l] = new RecoveredList(lost[l], length, used[0].Seq(lost[l]), Bits.Delta.WordsFor(length));
        }
        for (int l = 0; l < t; l++)
            outputs[l] = results[l].WordCount == maxWords ? results[l].WordsBuffer : new ulong[maxWords];
        LinearCombiner.Combine(_kernel, combo.Cells, sources, outputs, maxWords);
        for (int l = 0; l < t; l++)
            if (!outputs[l].Equals((Memory<ulong>)results[l].WordsBuffer))
                outputs[l].Span[..results[l].WordCount].CopyTo(results[l].WordsBuffer);
        return results;
    }

    /// <summary>
    /// The last step of a distributed recovery: each backup b has already cancelled the survivors out of its
    /// fused words, leaving residual_b = Σ_{l ∈ lost} c(b, l) · list_l; this inverts that t × t system.
    /// Returns the lost lists' words, each <paramref name="lengths"/>[l] bits long.
    /// </summary>
    public ulong[][] SolveResiduals(
        ReadOnlySpan<int> lost, ReadOnlySpan<int> backups, IReadOnlyList<ReadOnlyMemory<ulong>> residuals, ReadOnlySpan<long> lengths)
    {
        GfMatrix inverse = ResidualInverse(lost, backups, residuals.Count, lengths.Length);
        int t = lost.Length;
        int maxWords = 0;
        foreach (long l in lengths) maxWords = Math.Max(maxWords, Bits.Delta.WordsFor(l));
        var outputs = new Memory<ulong>[t];
        for (int l = 0; l < t; l++) outputs[l] = new ulong[maxWords];
        LinearCombiner.Combine(_kernel, inverse.Cells, residuals, outputs, maxWords);
        var result = new ulong[t][];
        for (int l = 0; l < t; l++) result[l] = outputs[l].Span[..Bits.Delta.WordsFor(lengths[l])].ToArray();
        return result;
    }

    /// <summary>
    /// As <see cref="SolveResiduals"/>, for the one lost primary lost[<paramref name="which"/>] a recovering primary
    /// needs: only that row of the inverse is combined, straight into an array of the list's words. With one lost
    /// primary whose residual is a whole array of exactly its words, that array is scaled in place and returned: the
    /// residual was written for this call alone, and a second list-sized array is what a 10^10-bit recovery cannot
    /// afford.
    /// </summary>
    public ulong[] SolveResidual(
        ReadOnlySpan<int> lost, ReadOnlySpan<int> backups, IReadOnlyList<ReadOnlyMemory<ulong>> residuals, ReadOnlySpan<long> lengths, int which)
    {
        GfMatrix inverse = ResidualInverse(lost, backups, residuals.Count, lengths.Length);
        int count = Bits.Delta.WordsFor(lengths[which]);
        if (residuals.Count == 1 && MemoryMarshal.TryGetArray(residuals[0], out ArraySegment<ulong> only)
            && only.Offset == 0 && only.Count == count && only.Array!.Length == count)
        {
            Scale(only.Array, inverse.Row(which)[0]);
            return only.Array;
        }
        var words = new ulong[count];
        LinearCombiner.Combine(_kernel, inverse.Row(which), residuals, [words], words.Length);
        return words;
    }

    /// <summary>words = c · words, a block at a time through a small scratch (the kernel multiplies and XORs).</summary>
    private void Scale(ulong[] words, byte c)
    {
        if (c == 1) return;
        Span<ulong> scratch = stackalloc ulong[512];
        for (int at = 0; at < words.Length; at += scratch.Length)
        {
            Span<ulong> block = words.AsSpan(at, Math.Min(scratch.Length, words.Length - at));
            Span<ulong> held = scratch[..block.Length];
            block.CopyTo(held);
            block.Clear();
            _kernel.MulXor(MemoryMarshal.AsBytes(block), MemoryMarshal.AsBytes(held), c);
        }
    }

    private GfMatrix ResidualInverse(ReadOnlySpan<int> lost, ReadOnlySpan<int> backups, int residuals, int lengths)
    {
        int t = lost.Length;
        if (backups.Length != t || residuals != t || lengths != t)
            throw new ArgumentException($"{t} lost primaries need {t} backups, residuals and lengths.");
        var m = new GfMatrix(t, t);
        for (int r = 0; r < t; r++)
        {
            CheckBackup(backups[r]);
            for (int c = 0; c < t; c++)
            {
                if ((uint)lost[c] >= (uint)Primaries) throw new ArgumentOutOfRangeException(nameof(lost), lost[c], $"Primary index must be below {Primaries}.");
                m[r, c] = Coefficient(backups[r], lost[c]);
            }
        }
        return m.Invert();
    }

    /// <summary>
    /// The t × n matrix that rebuilds the <paramref name="lost"/> primaries (t of them) in one combination:
    /// p_L = M⁻¹ · (fused_B ⊕ C_{B,S} · p_S) = M⁻¹ · [I | C_{B,S}] · (fused_B, p_S), with M = C_{B,L}. Its columns
    /// are the given <paramref name="backups"/> in order, then the surviving primaries in index order; row l
    /// yields lost[l].
    /// </summary>
    public GfMatrix RecoveryMatrix(ReadOnlySpan<int> lost, ReadOnlySpan<int> backups)
    {
        int t = lost.Length;
        if (t == 0 || t > Faults) throw new ArgumentException($"Between 1 and f = {Faults} lost primaries can be rebuilt; {t} given.", nameof(lost));
        if (backups.Length != t) throw new ArgumentException($"{t} lost primaries need exactly {t} backups; {backups.Length} given.", nameof(backups));
        var isLost = new bool[Primaries];
        foreach (int p in lost)
        {
            if ((uint)p >= (uint)Primaries) throw new ArgumentOutOfRangeException(nameof(lost), p, $"Primary index must be below {Primaries}.");
            if (isLost[p]) throw new ArgumentException($"Primary {p} is listed twice.", nameof(lost));
            isLost[p] = true;
        }
        for (int b = 0; b < t; b++)
        {
            CheckBackup(backups[b]);
            if (backups[..b].Contains(backups[b])) throw new ArgumentException($"Backup {backups[b]} is listed twice.", nameof(backups));
        }

        var m = new GfMatrix(t, t);
        for (int r = 0; r < t; r++)
            for (int c = 0; c < t; c++)
                m[r, c] = Coefficient(backups[r], lost[c]);
        GfMatrix inv = m.Invert();

        var combo = new GfMatrix(t, Primaries);
        for (int l = 0; l < t; l++)
        {
            for (int b = 0; b < t; b++) combo[l, b] = inv[l, b];
            int column = t;
            for (int i = 0; i < Primaries; i++)
            {
                if (isLost[i]) continue;
                byte sum = 0;
                for (int b = 0; b < t; b++) sum ^= Gf256.Mul(inv[l, b], Coefficient(backups[b], i));
                combo[l, column++] = sum;
            }
        }
        return combo;
    }

    private void CheckBackup(int backup)
    {
        if ((uint)backup >= (uint)Faults)
            throw new ArgumentOutOfRangeException(nameof(backup), backup, $"Backup index must be below f = {Faults}.");
    }
}
