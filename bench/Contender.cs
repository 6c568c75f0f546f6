using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>
/// The names in a benchmark's Impl column: the streaming-read limit, each kernel tier this CPU supports (a plain
/// tier name accumulates into its outputs; with <see cref="IntoSuffix"/> it is the write-only variant, which
/// overwrites them as ISA-L does), and ISA-L where it is installed. Plain strings so BenchmarkDotNet prints them
/// and passes them to its child processes verbatim.
/// </summary>
internal static class Contender
{
    public const string Read = "Read";
    public const string Scalar = "Scalar";
    public const string IsaL = Bench.IsaL.Name;
    public const string IntoSuffix = "-into";

    public static IEnumerable<string> XorTiers => XorKernel.SupportedTiers.Select(t => t.ToString());

    public static IEnumerable<string> GfTiers => GfKernel.SupportedTiers.Select(t => t.ToString());

    /// <summary>Each tier in its accumulating form, then each in its write-only form.</summary>
    public static IEnumerable<string> BothForms(IEnumerable<string> tiers) => [.. tiers, .. tiers.Select(t => t + IntoSuffix)];

    public static IEnumerable<string> IsaLIf(bool hasCounterpart) => Bench.IsaL.IsAvailable && hasCounterpart ? [IsaL] : [];

    public static IEnumerable<string> WithBaselines(IEnumerable<string> contenders) => [Read, .. contenders];

    /// <summary>Splits "Gfni512-into" into the tier and whether the outputs are only written.</summary>
    public static TTier ParseTier<TTier>(string contender, out bool into) where TTier : struct, Enum
    {
        into = contender.EndsWith(IntoSuffix, StringComparison.Ordinal);
        return Enum.Parse<TTier>(into ? contender[..^IntoSuffix.Length] : contender);
    }

    /// <summary>The rows a quick look keeps: the baselines and the fastest tier of each kind, in both forms.</summary>
    public static bool IsInShortList(string impl)
    {
        string tier = impl.EndsWith(IntoSuffix, StringComparison.Ordinal) ? impl[..^IntoSuffix.Length] : impl;
        return impl is Read or Scalar or IsaL || tier == XorKernel.Best.Tier.ToString() || tier == GfKernel.Best.Tier.ToString();
    }
}
