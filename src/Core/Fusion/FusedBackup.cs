using System.Runtime.InteropServices;
using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion;

/// <summary>
/// The state one fused backup server keeps: the coded words Σ_i c(j, i) · list_i, and per primary only its
/// bit length and the sequence number of its last applied delta — nothing per element. The fused length is the
/// longest primary's; the buffer is sized to it (<see cref="WordStorage"/>) and shrinks when the primaries do, so a
/// backup's heap is its data plus a constant. Not thread-safe.
/// </summary>
internal sealed class FusedBackup : IDisposable
{
    /// <summary>
    /// Per primary its length at [2p] and its last applied seq at [2p + 1]: one array, not two, because each array
    /// costs a header, and that constant is what a backup's heap adds to its data.
    /// </summary>
    private readonly long[] _progress;
    private ulong[] _words;
    private long _maxLength;

    public FusedBackup(FusionCode code, int backupIndex)
    {
        ArgumentNullException.ThrowIfNull(code);
        if ((uint)backupIndex >= (uint)code.Faults)
            throw new ArgumentOutOfRangeException(nameof(backupIndex), backupIndex, $"Backup index must be below f = {code.Faults}.");
        Code = code;
        BackupIndex = backupIndex;
        _progress = new long[2 * code.Primaries];
        _words = [];
    }

    public FusionCode Code { get; }
    public int BackupIndex { get; }
    public int PrimaryCount => _progress.Length / 2;

    /// <summary>The longest primary's bit length.</summary>
    public long FusedLength => _maxLength;

    public int WordCount => Delta.WordsFor(_maxLength);

    public ReadOnlySpan<ulong> Words => _words.AsSpan(0, WordCount);

    internal ReadOnlyMemory<ulong> WordsMemory => _words.AsMemory(0, WordCount);

    /// <summary>Words the backing array holds (the storage tests bound it by <see cref="WordCount"/>).</summary>
    internal int CapacityWords => _words.Length;

    public long Length(int primary) => _progress[2 * primary];

    public long Seq(int primary) => _progress[2 * primary + 1];

    /// <summary>
    /// Applies primary <paramref name="primary"/>'s delta number <paramref name="seq"/>: fused ^= c · delta.
    /// Sequence numbers start at 1; a repeat is a no-op and a gap is refused, so the state never skips a delta.
    /// </summary>
    public ApplyOutcome Apply(int primary, long seq, in Delta delta)
    {
        CheckPrimary(primary);
        if (seq <= Seq(primary)) return ApplyOutcome.Duplicate;
        if (seq != Seq(primary) + 1) return ApplyOutcome.Gap;
        long oldLength = Length(primary);
        int reach = Delta.WordsFor(Math.Max(oldLength, delta.NewLength));
        if (delta.EndWord > reach)
            throw new ArgumentException(
                $"Delta touches word {delta.EndWord - 1}, beyond primary {primary}'s {reach} words (length {oldLength} → {delta.NewLength}).",
                nameof(delta));

        EnsureWords(reach);
        Roles.DeltaMath.MulXor(Code.Kernel, _words, delta, Coefficient(primary));

        SetProgress(primary, delta.NewLength, seq);
        if (delta.NewLength >= _maxLength) _maxLength = delta.NewLength;
        else if (oldLength == _maxLength) ShrinkToLongest();
        return ApplyOutcome.Applied;
    }

    /// <summary>
    /// Adds a primary's whole list to a backup that does not hold it yet (a restarted backup being re-encoded
    /// from the primaries, one snapshot at a time): fused ^= c · words. The primary's contribution must be empty.
    /// </summary>
    public void Absorb(int primary, long seq, ReadOnlySpan<ulong> words, long length)
    {
        CheckPrimary(primary);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Delta.MaxBits);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        int count = Delta.WordsFor(length);
        if (words.Length < count) throw new ArgumentException($"{length} bits need {count} words; {words.Length} given.", nameof(words));
        if ((length & 63) != 0 && (words[count - 1] >> (int)(length & 63)) != 0)
            throw new ArgumentException($"Bits past the length {length} are set; a list's tail must be zero.", nameof(words));
        if (Seq(primary) != 0 || Length(primary) != 0)
            throw new InvalidOperationException($"Primary {primary} is already part of this backup (seq {Seq(primary)}, length {Length(primary)}).");
        EnsureWords(count);
        Code.Kernel.MulXor(MemoryMarshal.AsBytes(_words.AsSpan()), MemoryMarshal.AsBytes(words[..count]), Coefficient(primary));
        SetProgress(primary, length, seq);
        _maxLength = Math.Max(_maxLength, length);
    }

    /// <summary>The coefficient c(j, i) this backup multiplies primary i's words by.</summary>
    public byte Coefficient(int primary) => Code.Matrix[BackupIndex, primary];

    /// <summary>Replaces the whole state, e.g. with a snapshot streamed from a peer backup.</summary>
    public void Restore(ReadOnlySpan<ulong> words, ReadOnlySpan<long> lengths, ReadOnlySpan<long> seqs)
    {
        if (lengths.Length != PrimaryCount || seqs.Length != PrimaryCount)
            throw new ArgumentException($"Expected lengths and seqs for {PrimaryCount} primaries.");
        long max = 0;
        foreach (long l in lengths)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(lengths));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(l, Delta.MaxBits, nameof(lengths));
            max = Math.Max(max, l);
        }
        if (words.Length < Delta.WordsFor(max))
            throw new ArgumentException($"The longest primary has {max} bits; {words.Length} words cannot hold them.", nameof(words));
        Memory<ulong> target = Prepare(lengths, seqs, Delta.WordsFor(max));
        words[..Delta.WordsFor(max)].CopyTo(target.Span);
    }

    /// <summary>Sets lengths and seqs, and returns zeroed fused words of the right size for an encoder to fill.</summary>
    internal Memory<ulong> Prepare(ReadOnlySpan<long> lengths, ReadOnlySpan<long> seqs, int words)
    {
        _maxLength = 0;
        for (int p = 0; p < PrimaryCount; p++)
        {
            SetProgress(p, lengths[p], seqs[p]);
            _maxLength = Math.Max(_maxLength, lengths[p]);
        }
        _words = new ulong[words];
        return _words;
    }

    /// <summary>
    /// The zero-tail invariant as a coded buffer can keep it. Backup 0 is plain XOR, so every bit past the fused
    /// length is zero. Other backups multiply whole bytes by c ≠ 1, which spreads a byte's live low bits over
    /// its high bits; there every byte past the longest primary's last byte is zero.
    /// </summary>
    public bool TailIsZero()
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(_words.AsSpan());
        int liveBytes = (int)((_maxLength + 7) >> 3);
        if (BackupIndex == 0 && (_maxLength & 7) != 0 && (bytes[liveBytes - 1] >> (int)(_maxLength & 7)) != 0) return false;
        return !bytes[liveBytes..].ContainsAnyExcept((byte)0);
    }

    public void Dispose() => _words = [];

    private void ShrinkToLongest()
    {
        _maxLength = 0;
        for (int p = 0; p < PrimaryCount; p++) _maxLength = Math.Max(_maxLength, Length(p));
        // Words past the longest primary are zero by linearity, so only the live prefix moves.
        WordStorage.Fit(ref _words, WordCount);
    }

    private void EnsureWords(int words) => WordStorage.Grow(ref _words, words);

    private void CheckPrimary(int primary)
    {
        if ((uint)primary >= (uint)PrimaryCount)
            throw new ArgumentOutOfRangeException(nameof(primary), primary, $"Primary index must be below {PrimaryCount}.");
    }

    private void SetProgress(int primary, long length, long seq)
    {
        _progress[2 * primary] = length;
        _progress[2 * primary + 1] = seq;
    }
}
