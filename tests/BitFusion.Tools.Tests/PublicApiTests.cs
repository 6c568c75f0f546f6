using BitFusion.Core.Bits;
using BitFusion.Net.Fusion;

namespace BitFusion.Tools.Tests;

/// <summary>
/// The packages' public surface is exactly the library API the README lists: a type made public by accident (or a
/// library type made internal) fails here, not in a user's build.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void Core_exports_the_list_the_code_and_the_kernels_only()
    {
        Assert.Equal(
        [
            "BitFusion.Core.Bits.Delta",
            "BitFusion.Core.Bits.PackedBitList",
            "BitFusion.Core.Fusion.FusionCode",
            "BitFusion.Core.Galois.Gf256",
            "BitFusion.Core.Galois.GfMatrix",
            "BitFusion.Core.Kernels.GfKernel",
            "BitFusion.Core.Kernels.GfTier",
            "BitFusion.Core.Kernels.KernelTiers",
            "BitFusion.Core.Kernels.XorKernel",
            "BitFusion.Core.Kernels.XorTier",
        ], Exported(typeof(PackedBitList)));
    }

    [Fact]
    public void Net_exports_the_fused_list_the_backup_the_client_and_the_configuration_only()
    {
        Assert.Equal(
        [
            "BitFusion.Net.Client.BitListClient",
            "BitFusion.Net.Client.BitsResult",
            "BitFusion.Net.Client.RemoteException",
            "BitFusion.Net.Config.ClientConfig",
            "BitFusion.Net.Config.ClientFile",
            "BitFusion.Net.Config.Cluster",
            "BitFusion.Net.Config.ClusterConfig",
            "BitFusion.Net.Config.ClusterLayout",
            "BitFusion.Net.Config.ConfigException",
            "BitFusion.Net.Config.NodeConfig",
            "BitFusion.Net.Config.SecretFile",
            "BitFusion.Net.Config.TlsCertificateConfig",
            "BitFusion.Net.Config.TlsConfig",
            "BitFusion.Net.Fusion.BackupServer",
            "BitFusion.Net.Fusion.FusedBitList",
            "BitFusion.Net.Fusion.RecoveryPhases",
            "BitFusion.Net.Fusion.RecoveryReport",
            "BitFusion.Net.Protocol.ProtocolException",
            "BitFusion.Net.Wire.ErrorCode",
        ], Exported(typeof(FusedBitList)));
    }

    private static string[] Exported(Type member) =>
        [.. member.Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal)];
}
