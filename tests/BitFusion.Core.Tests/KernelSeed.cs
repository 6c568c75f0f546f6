namespace BitFusion.Core.Tests;

/// <summary>
/// Seeds for the randomized kernel tests: fresh each run for coverage, fixed by BITFUSION_SEED to replay a
/// failure (every failure message names its seed).
/// </summary>
internal static class KernelSeed
{
    public static int Next() =>
        int.TryParse(Environment.GetEnvironmentVariable("BITFUSION_SEED"), out int fixedSeed) ? fixedSeed : Random.Shared.Next();
}
