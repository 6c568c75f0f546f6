using System.Diagnostics;
using BitFusion.Host.Measure;
using BitFusion.Net.Client;

namespace BitFusion.Host.Experiment;

/// <summary>One list the experiment drives: its client connection and the model of every acknowledged append.</summary>
internal sealed class ListUnderTest(string name)
{
    public string Name { get; } = name;
    public BitListClient? Client { get; set; }
    public List<bool> Model { get; } = [];

    /// <summary>Appends `count` random bits one at a time, each mirrored in the model once acknowledged; returns each append's µs at the client.</summary>
    public async Task<double[]> AppendRandomAsync(int count, Random random)
    {
        var samples = new double[count];
        for (int k = 0; k < count; k++)
        {
            bool bit = random.Next(2) == 1;
            long start = Stopwatch.GetTimestamp();
            await Client!.AppendAsync(bit);
            samples[k] = Ticks.MicrosSince(start);
            Model.Add(bit);
        }
        return samples;
    }

    /// <summary>True when the server's list is exactly the model.</summary>
    public bool Matches(BitsResult bits, out string difference)
    {
        difference = "";
        if (bits.Length != Model.Count)
        {
            difference = $"length {bits.Length}, expected {Model.Count}";
            return false;
        }
        for (int i = 0; i < Model.Count; i++)
            if ((((bits.Words[i >> 6] >> (i & 63)) & 1) != 0) != Model[i])
            {
                difference = $"bit {i} differs";
                return false;
            }
        return true;
    }
}
