using BitFusion.Core.Bits;

namespace BitFusion.Host.Experiment;

/// <summary>Fills a list fast for the size sweep: random bits in AppendMany chunks, pipelined, mirrored in the model.</summary>
internal static class Fill
{
    private const int ChunkBits = 1 << 22;

    public static async Task AppendRandomAsync(ListUnderTest list, int bits, Random random)
    {
        var pending = new List<ValueTask<long>>();
        var chunk = new ulong[ChunkBits / 64];
        list.Model.Capacity = list.Model.Count + bits;
        for (int done = 0; done < bits; done += ChunkBits)
        {
            int n = Math.Min(ChunkBits, bits - done);
            for (int w = 0; w < Delta.WordsFor(n); w++) chunk[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            for (int i = 0; i < n; i++) list.Model.Add(((chunk[i >> 6] >> (i & 63)) & 1) != 0);
            pending.Add(list.Client!.AppendManyAsync(chunk, n));
            if (pending.Count == 8)
            {
                foreach (ValueTask<long> p in pending) await p;
                pending.Clear();
            }
        }
        foreach (ValueTask<long> p in pending) await p;
    }
}
