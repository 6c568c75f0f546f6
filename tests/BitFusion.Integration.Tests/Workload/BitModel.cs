namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// What a list must hold: the bits every acknowledged write produced, and its seq (one per write, as the primary
/// counts them). A plain List&lt;bool&gt;, so it shares no code with the packed lists it checks.
/// </summary>
internal sealed class BitModel
{
    private readonly List<bool> _bits = [];

    public int Count => _bits.Count;

    public long Seq { get; private set; }

    public BitModel Clone()
    {
        var copy = new BitModel { Seq = Seq };
        copy._bits.AddRange(_bits);
        return copy;
    }

    public void Apply(in Operation op)
    {
        switch (op.Kind)
        {
            case OpKind.Append:
                _bits.Add(op.Bit);
                break;
            case OpKind.AppendMany:
                for (int i = 0; i < op.Index; i++) _bits.Add(((op.Bits![i >> 6] >> (i & 63)) & 1) != 0);
                break;
            case OpKind.Set:
                _bits[op.Index] = op.Bit;
                break;
            case OpKind.Insert:
                _bits.Insert(op.Index, op.Bit);
                break;
            case OpKind.RemoveAt:
                _bits.RemoveAt(op.Index);
                break;
            default:
                _bits[op.Index] = _bits[^1];
                _bits.RemoveAt(_bits.Count - 1);
                break;
        }
        Seq++;
    }

    /// <summary>The bits packed LSB-first into words, as a primary holds them.</summary>
    public ulong[] Pack()
    {
        var words = new ulong[(_bits.Count + 63) / 64];
        for (int i = 0; i < _bits.Count; i++)
            if (_bits[i]) words[i >> 6] |= 1UL << (i & 63);
        return words;
    }

    /// <summary>Null if the words hold exactly these bits (and zeros past them), else where they first differ.</summary>
    public string? Difference(ReadOnlySpan<ulong> words, long length, long seq)
    {
        if (length != _bits.Count) return $"length {length}, expected {_bits.Count}";
        if (seq != Seq) return $"seq {seq}, expected {Seq}";
        int wordCount = (int)((length + 63) / 64);
        if (words.Length < wordCount) return $"{words.Length} words for {length} bits";
        for (int i = 0; i < length; i++)
        {
            bool bit = ((words[i >> 6] >> (i & 63)) & 1) != 0;
            if (bit != _bits[i]) return $"bit {i} is {(bit ? 1 : 0)}, expected {(_bits[i] ? 1 : 0)} (length {length})";
        }
        if ((length & 63) != 0 && (words[wordCount - 1] >> (int)(length & 63)) != 0) return $"bits past the length {length} are not zero";
        return null;
    }
}
