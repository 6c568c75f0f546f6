using System.Runtime.InteropServices;

namespace BitFusion.Host.Experiment;

/// <summary>The machine and runtime a report was measured on.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
            // Not Linux or /proc hidden: the CPU name is a nicety, not a requirement.
        }
        string aot = BitFusion.Core.Kernels.KernelTiers.CodeGeneration == "jit" ? "JIT" : "native AOT";
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version} ({aot}; " +
               $"kernels {BitFusion.Core.Kernels.KernelTiers.Xor}/{BitFusion.Core.Kernels.KernelTiers.Gf})";
    }
}
