using System.Reflection;
using BitFusion.Harness;

namespace BitFusion.Integration.Tests;

/// <summary>The bitfusion binary under test: BITFUSION_BIN if set, else the apphost this configuration's build produced.</summary>
internal static class HostBinary
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable(BitfusionBinary.EnvironmentVariable) is { Length: > 0 }) return BitfusionBinary.Locate();
        string built = typeof(HostBinary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BitFusionHostBinary").Value!;
        return BitfusionBinary.Locate(built);
    }
}
