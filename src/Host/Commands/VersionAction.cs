using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using BitFusion.Core.Kernels;

namespace BitFusion.Host.Commands;

/// <summary>
/// <c>--version</c>: the version, then the kernel tiers this binary runs and the instruction set it was compiled
/// for, because a native-AOT binary's tiers depend on how it was published, not only on the CPU.
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        Assembly host = typeof(VersionAction).Assembly;
        string version = host.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        string isa = host.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "IlcInstructionSet")?.Value is { Length: > 0 } set
            ? set
            : "portable";
        string compiled = KernelTiers.CodeGeneration == "aot" ? $"native AOT for instruction set '{isa}'" : "JIT for this CPU";
        parseResult.InvocationConfiguration.Output.WriteLine($"bitfusion {version}");
        parseResult.InvocationConfiguration.Output.WriteLine($"kernels {KernelTiers.Fields} ({compiled})");
        return 0;
    }
}
