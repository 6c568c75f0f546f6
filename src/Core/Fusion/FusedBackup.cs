using System.Buffers;
using System.Runtime.InteropServices;
using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion;

/// <summary>
/// The state one fused backup server keeps: the coded words Σ_i c(j, i) · list_i, and per primary only its
/// bit length and the sequence number of its last applied delta — nothing per element. The fused length is the
/// longest primary's, and the buffer shrinks when the primaries do. Not thread-safe.
/// </summary>
public sealed class FusedBackup : IDisposable
{
    private const int MinWords = 16;

    private readonly byte[] _coefficients;
    private readonly int[] _lengths;
    private readonly long[] _seqs;
    private ulong[] _words;
    private int _maxLength;

    public FusedBackup(FusionCode code, int backupIndex)
    {
        ArgumentNullException.ThrowIfNull(code);
        if ((uint)backupIndex >= (uint)code.Faults)
            throw new ArgumentOutOfRangeException(nameof(backupIndex), backupIndex, $"Backup index must be below f = {code.Faults}.");
        Code = code;
        BackupIndex = backupIndex;
        _coefficients = code.Matrix.Row(backupIndex).ToArray();
        _lengths = new int[code.Primaries];
        _seqs = new long[code.Primaries];
        _words = PooledWords.Rent(MinWords);
    }

    public FusionCode Code { get; }
    public int BackupIndex { get; }
    public int PrimaryCount => _lengths.Length;

    /// <summary>The longest primary's bit length.</summary>
    public int FusedLength => _maxLength;

    public int WordCount => Delta.WordsFor(_maxLength);

    public ReadOnlySpan<ulong> Words => _words.AsSpan(0, WordCount);

    internal ReadOnlyMemory<ulong> WordsMemory => _words.AsMemory(0, WordCount);

    public int Length(int primary) => _lengths[primary];

    public long Seq(int primary) => _seqs[primary];

    /// <summary>
    /// Applies primary <paramref name="primary"/>'s delta number <paramref name="seq"/>: fused ^= c · delta.
    /// Sequence numbers start at 1; a repeat is a no-op and a gap is refused, so the state never skips a delta.
    /// </summary>
    public ApplyOutcome Apply(int primary, long seq, in Delta delta)
    {
        if ((uint)primary >= (uint)_lengths.Length)
            throw new ArgumentOutOfRangeException(nameof(primary), primary, $"Primary index must be below {_lengths.Length}.");
        if (seq <= _seqs[primary]) return ApplyOutcome.Duplicate;
        if (seq != _seqs[primary] + 1) return ApplyOutcome.Gap;
        int oldLength = _lengths[primary];
        int reach = Delta.WordsFor(Math.Max(oldLength, delta.NewLength));
        if (delta.EndWord > reach)
            throw new ArgumentException(
                $"Delta touches word {delta.EndWord - 1}, beyond primary {primary}'s {reach} words (length {oldLength} → {delta.NewLength}).",
                nameof(delta));

        EnsureWords(reach);
        Roles.DeltaMath.MulXor(Code.Kernel, _words, delta, _coefficients[primary]);

        _lengths[primary] = delta.NewLength;
        _seqs[primary] = seq;
        if (delta.NewLength >= _maxLength) _maxLength = delta.NewLength;
        else if (oldLength == _maxLength) ShrinkToLongest();
        return ApplyOutcome.Applied;
    }

    /// <summary>
    /// Adds a primary's whole list to a backup that does not hold it yet (a restarted backup being re-encoded
    /// from the primaries, one snapshot at a time): fused ^= c · words. The primary's contribution must be empty.
    /// </summary>
    public void Absorb(int primary, long seq, ReadOnlySpan<ulong> words, int length)
    {
        if ((uint)primary >= (uint)_lengths.Length)
            throw new ArgumentOutOfRangeException(nameof(primary), primary, $"Primary index must be below {_lengths.Length}.");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        int count = Delta.WordsFor(length);
        if (words.Length < count) throw new ArgumentException($"{length} bits need {count} words; {words.Length} given.", nameof(words));
        if ((length & 63) != 0 && (words[count - 1] >> (length & 63)) != 0)
            throw new ArgumentException($"Bits past the length {length} are set; a list's tail must be zero.", nameof(words));
        if (_seqs[primary] != 0 || _lengths[primary] != 0)
            throw new InvalidOperationException($"Primary {primary} is already part of this backup (seq {_seqs[primary]}, length {_lengths[primary]}).");
        EnsureWords(count);
        Code.Kernel.MulXor(MemoryMarshal.AsBytes(_words.AsSpan()), MemoryMarshal.AsBytes(words[..count]), _coefficients[primary]);
        _lengths[primary] = length;
        _seqs[primary] = seq;
        _maxLength = Math.Max(_maxLength, length);
    }

    /// <summary>The coefficient c(j, i) this backup multiplies primary i's words by.</summary>
    public byte Coefficient(int primary) => _coefficients[primary];

    /// <summary>Replaces the whole state, e.g. with a snapshot streamed from a peer backup.</summary>
    public void Restore(ReadOnlySpan<ulong> words, ReadOnlySpan<int> lengths, ReadOnlySpan<long> seqs)
    {
        if (lengths.Length != _lengths.Length || seqs.Length != _seqs.Length)
            throw new ArgumentException($"Expected lengths and seqs for {_lengths.Length} primaries.");
        int max = 0;
        foreach (int l in lengths)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(lengths));
            max = Math.Max(max, l);
        }
        if (words.Length < Delta.WordsFor(max))
            throw new ArgumentException($"The longest primary has {max} bits; {words.Length} words cannot hold them.", nameof(words));
        Memory<ulong> target = Prepare(lengths, seqs, Delta.WordsFor(max));
        words[..Delta.WordsFor(max)].CopyTo(target.Span);
    }

    /// <summary>Sets lengths and seqs, and returns zeroed fused words of the right size for an encoder to fill.</summary>
    internal Memory<ulong> Prepare(ReadOnlySpan<int> lengths, ReadOnlySpan<long> seqs, int words)
    {
        lengths.CopyTo(_lengths);
        seqs.CopyTo(_seqs);
        _maxLength = 0;
        foreach (int l in lengths) _maxLength = Math.Max(_maxLength, l);
        ArrayPool<ulong>.Shared.Return(_words);
        _words = PooledWords.Rent(Math.Max(MinWords, words));
        return _words.AsMemory(0, words);
    }

    /// <summary>
    /// The zero-tail invariant as a coded buffer can keep it. Backup 0 is plain XOR, so every bit past the fused
    /// length is zero. Other backups multiply whole bytes by c ≠ 1, which spreads a byte's live low bits over
    /// its high bits; there every byte past the longest primary's last byte is zero.
    /// </summary>
    public bool TailIsZero()
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(_words.AsSpan());
        int liveBytes = (int)(((uint)_maxLength + 7u) >> 3);
        if (BackupIndex == 0 && (_maxLength & 7) != 0 && (bytes[liveBytes - 1] >> (_maxLength & 7)) != 0) return false;
        return !bytes[liveBytes..].ContainsAnyExcept((byte)0);
    }

    public void Dispose()
    {
        ArrayPool<ulong>.Shared.Return(_words);
        _words = [];
    }

    private void ShrinkToLongest()
    {
        _maxLength = 0;
        foreach (int l in _lengths) _maxLength = Math.Max(_maxLength, l);
        int need = Math.Max(MinWords, WordCount);
        if (need * 4 > _words.Length) return;
        // Words past the longest primary are zero by linearity, so only the live prefix moves.
        ulong[] smaller = PooledWords.Rent(need * 2);
        _words.AsSpan(0, WordCount).CopyTo(smaller);
        ArrayPool<ulong>.Shared.Return(_words);
        _words = smaller;
    }

    private void EnsureWords(int words) => PooledWords.Grow(ref _words, words);
}
