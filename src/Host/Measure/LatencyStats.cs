namespace BitFusion.Host.Measure;

/// <summary>Summary statistics of a latency sample, in microseconds: the study's Table 2 columns plus tails.</summary>
public sealed record LatencyStats(int Count, double Mean, double Median, double P99, double P999, double Max, double Variance, double StdDev)
{
    public static LatencyStats FromMicros(ReadOnlySpan<double> micros)
    {
        if (micros.IsEmpty) return new LatencyStats(0, 0, 0, 0, 0, 0, 0, 0);
        double[] sorted = micros.ToArray();
        Array.Sort(sorted);
        double mean = 0;
        foreach (double v in sorted) mean += v;
        mean /= sorted.Length;
        double variance = 0;
        foreach (double v in sorted) variance += (v - mean) * (v - mean);
        variance /= Math.Max(1, sorted.Length - 1);
        return new LatencyStats(sorted.Length, mean, Percentile(sorted, 0.5), Percentile(sorted, 0.99), Percentile(sorted, 0.999),
            sorted[^1], variance, Math.Sqrt(variance));
    }

    /// <summary>Nearest-rank percentile of an ascending sample.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        int rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
