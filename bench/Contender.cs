using BitFusion.Core.Kernels;

namespace BitFusion.Bench;

/// <summary>
/// The names in a benchmark's Impl column: the streaming-read limit, each kernel tier this CPU supports, and
/// ISA-L where it is installed. Plain strings so BenchmarkDotNet prints them and passes them to its child
/// processes verbatim.
/// </summary>
internal static class Contender
{
    public const string Read = "Read";
    public const string Scalar = "Scalar";
    public const string IsaL = Bench.IsaL.Name;

    public static IEnumerable<string> XorTiers => XorKernel.SupportedTiers.Select(t => t.ToString());

    public static IEnumerable<string> GfTiers => GfKernel.SupportedTiers.Select(t => t.ToString());

    public static IEnumerable<string> WithBaselines(IEnumerable<string> tiers) =>
        [Read, .. tiers, .. Bench.IsaL.IsAvailable ? [IsaL] : Array.Empty<string>()];

    /// <summary>The rows a quick look keeps: the baselines and the fastest tier of each kind.</summary>
    public static bool IsInShortList(string impl) =>
        impl is Read or Scalar or IsaL || impl == XorKernel.Best.Tier.ToString() || impl == GfKernel.Best.Tier.ToString();
}
