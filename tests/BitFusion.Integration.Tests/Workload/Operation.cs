using BitFusion.Net.Client;

namespace BitFusion.Integration.Tests.Workload;

internal enum OpKind : byte
{
    Append,
    AppendMany,
    Set,
    Insert,
    RemoveAt,
    SwapRemoveAt,
}

/// <summary>One write a client sends; <see cref="Bits"/> holds AppendMany's bits (LSB first, <see cref="Index"/> of them).</summary>
internal readonly record struct Operation(OpKind Kind, int Index, bool Bit, ulong[]? Bits = null)
{
    /// <summary>Picks a write valid for a list of <paramref name="count"/> bits: mostly appends.</summary>
    public static Operation Random(Random rng, int count)
    {
        double r = rng.NextDouble();
        bool bit = rng.Next(2) == 1;
        if (count == 0 || r < 0.68) return new Operation(OpKind.Append, 0, bit);
        if (r < 0.70)
        {
            int bits = rng.Next(1, 200);
            ulong[] words = new ulong[(bits + 63) / 64];
            for (int i = 0; i < words.Length; i++) words[i] = (ulong)rng.NextInt64();
            if ((bits & 63) != 0) words[^1] &= (1UL << (bits & 63)) - 1;
            return new Operation(OpKind.AppendMany, bits, false, words);
        }
        if (r < 0.80) return new Operation(OpKind.Set, rng.Next(count), bit);
        if (r < 0.88) return new Operation(OpKind.Insert, rng.Next(count + 1), bit);
        if (r < 0.94) return new Operation(OpKind.RemoveAt, rng.Next(count), false);
        return new Operation(OpKind.SwapRemoveAt, rng.Next(count), false);
    }

    /// <summary>Whether the primary applies this write to a list of <paramref name="count"/> bits (else: out of range).</summary>
    public bool ValidFor(int count) => Kind switch
    {
        OpKind.Append or OpKind.AppendMany => true,
        OpKind.Insert => Index <= count,
        _ => Index < count,
    };

    /// <summary>The list's length after this write.</summary>
    public int CountAfter(int count) => Kind switch
    {
        OpKind.Append or OpKind.Insert => count + 1,
        OpKind.AppendMany => count + Index,
        OpKind.Set => count,
        _ => count - 1,
    };

    public ValueTask<long> SendAsync(BitListClient client) => Kind switch
    {
        OpKind.Append => client.AppendAsync(Bit),
        OpKind.AppendMany => client.AppendManyAsync(Bits, Index),
        OpKind.Set => client.SetAsync(Index, Bit),
        OpKind.Insert => client.InsertAsync(Index, Bit),
        OpKind.RemoveAt => client.RemoveAtAsync(Index),
        _ => client.SwapRemoveAtAsync(Index),
    };

    public override string ToString() => Kind switch
    {
        OpKind.Append => $"append({(Bit ? 1 : 0)})",
        OpKind.AppendMany => $"append-many({Index} bits)",
        OpKind.Set => $"set({Index},{(Bit ? 1 : 0)})",
        OpKind.Insert => $"insert({Index},{(Bit ? 1 : 0)})",
        OpKind.RemoveAt => $"remove({Index})",
        _ => $"swap-remove({Index})",
    };
}
