namespace BitFusion.Integration.Tests;

/// <summary>
/// The seed of a randomized test: BITFUSION_TEST_SEED if set, else fresh. It fixes every random choice (operations,
/// victims, pauses); process timing still varies, so a rerun replays the same script, not the same interleaving.
/// </summary>
internal static class TestSeed
{
    public const string EnvironmentVariable = "BITFUSION_TEST_SEED";

    public static int Next() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } text
            ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();

    public static string Describe(int seed) => $"seed={seed} (rerun with {EnvironmentVariable}={seed})";
}
