using System.Numerics;

namespace BitFusion.Core.Bits;

/// <summary>
/// A list of bits packed LSB-first into <c>ulong</c> words: bit k is bit (k &amp; 63) of word (k &gt;&gt; 6).
/// Every word and bit past <see cref="Count"/> is zero, across the whole backing array, so lists of different
/// lengths XOR without special cases. The array is sized to the list (<see cref="WordStorage"/>), so the heap a
/// list takes is its data plus a constant. Each mutation returns the <see cref="Delta"/> that describes it; the
/// delta's words live in a scratch buffer owned by the list and sized by the delta (appends and clears hand out
/// the list's own words instead), and stay valid until the next mutation. Not thread-safe.
/// </summary>
public sealed class PackedBitList : IDisposable
{
    internal const int ScratchFloorWords = 8;

    private ulong[] _words;
    private ulong[] _scratch;

    /// <summary>
    /// Creates an empty list with room for <paramref name="capacityBits"/> bits before it first grows.
    /// </summary>
    public PackedBitList(long capacityBits = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBits);
        _words = new ulong[Delta.WordsFor(capacityBits)];
        _scratch = new ulong[1];
    }

    /// <summary>
    /// The most bits a list holds: a word short of what a byte span over its words can address (int.MaxValue
    /// bytes, about 1.7 · 10^10 bits), so word counts, byte counts and the kernels' spans stay int while bit counts
    /// and positions are long. Growing past it throws <see cref="InvalidOperationException"/> and changes nothing.
    /// </summary>
    public const long MaxCount = Delta.MaxBits;

    /// <summary>The number of bits in the list.</summary>
    public long Count { get; private set; }

    /// <summary>The number of 64-bit words the list's <see cref="Count"/> bits occupy.</summary>
    public int WordCount => Delta.WordsFor(Count);

    /// <summary>The packed words in use; bits past Count in the last word are zero.</summary>
    public ReadOnlySpan<ulong> Words => _words.AsSpan(0, WordCount);

    /// <summary>Words the backing array holds (the storage tests bound it by <see cref="WordCount"/>).</summary>
    internal int CapacityWords => _words.Length;

    /// <summary>Words the delta scratch buffer holds (bounded by the latest delta).</summary>
    internal int ScratchWords => _scratch.Length;

    /// <summary>
    /// Reads or sets the bit at <paramref name="index"/>; setting discards the delta (use <see cref="Set"/> to keep
    /// it). Throws <see cref="ArgumentOutOfRangeException"/> outside 0..Count-1.
    /// </summary>
    public bool this[long index]
    {
        get => Get(index);
        set => Set(index, value);
    }

    /// <summary>
    /// Reads the bit at <paramref name="index"/>. Throws <see cref="ArgumentOutOfRangeException"/> outside 0..Count-1.
    /// </summary>
    public bool Get(long index)
    {
        CheckIndex(index, Count);
        return ((_words[index >> 6] >> (int)(index & 63)) & 1) != 0;
    }

    /// <summary>
    /// Sets the bit at <paramref name="index"/> and returns the delta that describes the change (valid until the next
    /// mutation). Throws <see cref="ArgumentOutOfRangeException"/> outside 0..Count-1.
    /// </summary>
    public Delta Set(long index, bool bit)
    {
        CheckIndex(index, Count);
        int w = (int)(index >> 6);
        ulong mask = 1UL << (int)(index & 63);
        ulong old = _words[w];
        ulong updated = bit ? old | mask : old & ~mask;
        _words[w] = updated;
        return SingleWord(w, old ^ updated);
    }

    /// <summary>
    /// Appends one bit and returns the delta that describes the change (valid until the next mutation). Throws
    /// <see cref="InvalidOperationException"/> past <see cref="MaxCount"/>.
    /// </summary>
    public Delta Append(bool bit)
    {
        CheckGrowth(1);
        EnsureCapacity(Count + 1);
        int w = (int)(Count >> 6);
        ulong x = bit ? 1UL << (int)(Count & 63) : 0;
        _words[w] |= x;
        Count++;
        return SingleWord(w, x);
    }

    /// <summary>Appends <paramref name="bitCount"/> bits taken LSB-first from <paramref name="packed"/>.</summary>
    public Delta AppendRange(scoped ReadOnlySpan<ulong> packed, long bitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bitCount);
        if (Delta.WordsFor(bitCount) > packed.Length)
            throw new ArgumentException($"{bitCount} bits need {Delta.WordsFor(bitCount)} words; {packed.Length} given.", nameof(packed));
        if (bitCount == 0) return Unchanged();
        CheckGrowth(bitCount);
        long start = Count, end = Count + bitCount;
        EnsureCapacity(end);
        int first = (int)(start >> 6), last = (int)((end - 1) >> 6);
        ulong oldFirst = _words[first];
        int shift = (int)(start & 63);
        int sourceWords = Delta.WordsFor(bitCount);
        for (int j = 0; j < sourceWords; j++)
        {
            ulong s = packed[j];
            if (j == sourceWords - 1 && (bitCount & 63) != 0) s &= (1UL << (int)(bitCount & 63)) - 1;
            _words[first + j] |= s << shift;
            if (shift != 0 && first + j + 1 <= last) _words[first + j + 1] |= s >> (64 - shift);
        }
        Count = end;
        return Appended(first, last, oldFirst);
    }

    /// <summary>
    /// Appends <paramref name="bits"/> in order, as one delta (valid until the next mutation). The span is only read
    /// during the call.
    /// </summary>
    public Delta AppendRange(scoped ReadOnlySpan<bool> bits)
    {
        if (bits.IsEmpty) return Unchanged();
        CheckGrowth(bits.Length);
        long start = Count, end = Count + bits.Length;
        EnsureCapacity(end);
        int first = (int)(start >> 6), last = (int)((end - 1) >> 6);
        ulong oldFirst = _words[first];
        for (int i = 0; i < bits.Length; i++)
            if (bits[i]) _words[(int)((start + i) >> 6)] |= 1UL << (int)((start + i) & 63);
        Count = end;
        return Appended(first, last, oldFirst);
    }

    /// <summary>Inserts a bit at <paramref name="index"/> (0..Count), shifting the bits from there up by one.</summary>
    public Delta Insert(long index, bool bit)
    {
        if ((ulong)index > (ulong)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Insert index must be in 0..{Count} (Count = {Count}).");
        CheckGrowth(1);
        EnsureCapacity(Count + 1);
        int first = (int)(index >> 6), last = (int)(Count >> 6);
        Snapshot(first, last);
        for (int w = last; w > first; w--)
            _words[w] = (_words[w] << 1) | (_words[w - 1] >> 63);
        int at = (int)(index & 63);
        ulong low = (1UL << at) - 1;
        ulong old = _words[first];
        _words[first] = (old & low) | ((old & ~low) << 1) | (bit ? 1UL << at : 0);
        Count++;
        return Finish(first, last);
    }

    /// <summary>Removes the bit at <paramref name="index"/>, shifting the bits above it down by one.</summary>
    public Delta RemoveAt(long index)
    {
        CheckIndex(index, Count);
        int first = (int)(index >> 6), last = (int)((Count - 1) >> 6);
        Snapshot(first, last);
        ulong low = (1UL << (int)(index & 63)) - 1;
        ulong old = _words[first];
        ulong carry = first < last ? (_words[first + 1] & 1) << 63 : 0;
        _words[first] = (old & low) | ((old >> 1) & ~low) | carry;
        for (int w = first + 1; w <= last; w++)
            _words[w] = (_words[w] >> 1) | (w < last ? (_words[w + 1] & 1) << 63 : 0);
        Count--;
        Delta delta = Finish(first, last);
        FitWords();
        return delta;
    }

    /// <summary>Removes the bit at <paramref name="index"/> by moving the last bit into its place (order not kept).</summary>
    public Delta SwapRemoveAt(long index)
    {
        CheckIndex(index, Count);
        long lastIndex = Count - 1;
        int kw = (int)(index >> 6), lw = (int)(lastIndex >> 6);
        ulong oldK = _words[kw], oldL = _words[lw];
        bool lastBit = ((oldL >> (int)(lastIndex & 63)) & 1) != 0;
        _words[lw] &= ~(1UL << (int)(lastIndex & 63));
        if (index != lastIndex)
        {
            ulong mask = 1UL << (int)(index & 63);
            _words[kw] = lastBit ? _words[kw] | mask : _words[kw] & ~mask;
        }
        Count--;
        ulong kXor = oldK ^ _words[kw], lXor = oldL ^ _words[lw];
        FitWords();
        if (kw == lw) return SingleWord(kw, kXor);
        FitScratch(1);
        _scratch[0] = kXor;
        return new Delta(Count, kw, _scratch.AsSpan(0, 1), lw, lXor);
    }

    /// <summary>Removes every bit and returns the delta that zeroes the words the list held.</summary>
    public Delta Clear()
    {
        // old ⊕ 0 is the old words: the old array becomes the delta instead of being copied into the scratch.
        ulong[] old = _words;
        int words = WordCount;
        _words = [];
        Count = 0;
        FitScratch(0);
        return new Delta(0, 0, old.AsSpan(0, words));
    }

    /// <summary>Applies a delta produced by another list (a replica or a recovery), checking it stays in bounds.</summary>
    public void Apply(in Delta delta)
    {
        int needWords = Math.Max(delta.EndWord, Delta.WordsFor(delta.NewLength));
        EnsureCapacity(64L * needWords);
        Span<ulong> target = _words.AsSpan(delta.FirstWord, delta.Words.Length);
        for (int i = 0; i < target.Length; i++) target[i] ^= delta.Words[i];
        if (delta.HasExtra) _words[delta.ExtraWord] ^= delta.ExtraXor;
        Count = delta.NewLength;
        FitWords();
    }

    /// <summary>Replaces the whole content, e.g. with a list rebuilt by recovery. Bits past count are cleared.</summary>
    public void Load(ReadOnlySpan<ulong> words, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        int need = Delta.WordsFor(count);
        if (words.Length < need)
            throw new ArgumentException($"{count} bits need {need} words; {words.Length} given.", nameof(words));
        if (_words.Length < need || WordStorage.IsOversized(_words.Length, need)) _words = new ulong[need];
        else _words.AsSpan().Clear();
        words[..need].CopyTo(_words);
        if ((count & 63) != 0) _words[need - 1] &= (1UL << (int)(count & 63)) - 1;
        Count = count;
    }

    /// <summary>
    /// Replaces the whole content with <paramref name="words"/>, which the list takes over when it holds exactly the
    /// words <paramref name="count"/> bits need (bits past count are cleared), and copies otherwise (<see cref="Load"/>).
    /// The caller must not use the array afterwards.
    /// </summary>
    internal void Take(ulong[] words, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        int need = Delta.WordsFor(count);
        if (words.Length != need || need == 0)
        {
            Load(words, count);
            return;
        }
        if ((count & 63) != 0) words[need - 1] &= (1UL << (int)(count & 63)) - 1;
        _words = words;
        Count = count;
    }

    /// <summary>
    /// Takes <paramref name="words"/> as the list's storage, without a copy: a state transfer decodes straight into
    /// an array of exactly the words <paramref name="count"/> bits need, whose bits past count are zero.
    /// </summary>
    internal void Adopt(ulong[] words, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        int need = Delta.WordsFor(count);
        if (words.Length != need) throw new ArgumentException($"{count} bits need exactly {need} words; {words.Length} given.", nameof(words));
        if ((count & 63) != 0 && (words[need - 1] >> (int)(count & 63)) != 0)
            throw new ArgumentException($"Bits past {count} are set.", nameof(words));
        _words = words;
        Count = count;
    }

    /// <summary>True when every bit past Count, across the whole backing array, is zero.</summary>
    public bool TailIsZero()
    {
        int words = WordCount;
        if ((Count & 63) != 0 && (_words[words - 1] >> (int)(Count & 63)) != 0) return false;
        return !_words.AsSpan(words).ContainsAnyExcept(0UL);
    }

    /// <summary>The number of bits set.</summary>
    public long PopCount()
    {
        long n = 0;
        foreach (ulong w in Words) n += BitOperations.PopCount(w);
        return n;
    }

    /// <summary>Releases the list's arrays and leaves it empty; the list may be used again and grows afresh.</summary>
    public void Dispose()
    {
        _words = [];
        _scratch = [];
        Count = 0;
    }

    // An empty append is still a mutation: the scratch left by an earlier, larger delta is fitted like after any other.
    private Delta Unchanged()
    {
        FitScratch(0);
        return new Delta(Count, (int)(Count >> 6), default);
    }

    private Delta SingleWord(int word, ulong xor)
    {
        FitScratch(1);
        _scratch[0] = xor;
        return new Delta(Count, word, _scratch.AsSpan(0, 1));
    }

    // Words past the old count were zero, so an append's old ⊕ new is the new words themselves, read in place
    // rather than copied: the scratch stays the size of a small delta however much was appended. Only the first
    // word may have held bits before; it goes as the delta's extra word.
    private Delta Appended(int first, int last, ulong oldFirst)
    {
        FitScratch(0);
        if (oldFirst == 0) return new Delta(Count, first, _words.AsSpan(first, last - first + 1));
        if (first == last) return SingleWord(first, _words[first] ^ oldFirst);
        return new Delta(Count, first + 1, _words.AsSpan(first + 1, last - first), first, _words[first] ^ oldFirst);
    }

    private void Snapshot(int first, int last)
    {
        int n = last - first + 1;
        FitScratch(n);
        _words.AsSpan(first, n).CopyTo(_scratch);
    }

    // The scratch buffer holds one delta at a time, so it is sized by the delta, not the list: after a bulk change
    // it would otherwise stay as large as the list, doubling what a one-word-delta workload retains. Within 4× of
    // the delta it is kept, so deltas of varying size do not allocate on every mutation.
    private void FitScratch(int words)
    {
        if (_scratch.Length >= words && _scratch.Length <= Math.Max(ScratchFloorWords, words * 4)) return;
        _scratch = new ulong[words];
    }

    private void FitWords() => WordStorage.Fit(ref _words, WordCount);

    private Delta Finish(int first, int last)
    {
        int n = last - first + 1;
        Span<ulong> d = _scratch.AsSpan(0, n);
        ReadOnlySpan<ulong> now = _words.AsSpan(first, n);
        for (int i = 0; i < n; i++) d[i] ^= now[i];
        return new Delta(Count, first, d);
    }

    private void CheckGrowth(long bits)
    {
        if (bits > MaxCount - Count)
            throw new InvalidOperationException($"Adding {bits} bits to a list of {Count} would pass the {MaxCount}-bit limit.");
    }

    private void EnsureCapacity(long bits) => WordStorage.Grow(ref _words, Delta.WordsFor(bits));

    private static void CheckIndex(long index, long count)
    {
        if ((ulong)index >= (ulong)count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for a list of Count {count}.");
    }
}
