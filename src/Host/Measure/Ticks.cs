using System.Diagnostics;

namespace BitFusion.Host.Measure;

/// <summary>High-resolution timestamps as microseconds.</summary>
public static class Ticks
{
    public static double ToMicros(long elapsedTicks) => elapsedTicks * 1_000_000.0 / Stopwatch.Frequency;

    public static double MicrosSince(long start) => ToMicros(Stopwatch.GetTimestamp() - start);
}
