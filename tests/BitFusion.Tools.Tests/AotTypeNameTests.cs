using BitFusion.Heap.Symbols;

namespace BitFusion.Tools.Tests;

public class AotTypeNameTests
{
    [Theory]
    [InlineData("BitFusion_Core_BitFusion_Core_Bits_PackedBitList", "BitFusion.Core.Bits.PackedBitList")]
    [InlineData("__Array<UInt64>", "System.UInt64[]")]
    [InlineData("__Array<UInt8>", "System.Byte[]")]
    [InlineData("S_P_CoreLib_System_RuntimeType", "System.RuntimeType")]
    [InlineData("S_P_CoreLib_System_Collections_Generic_Dictionary_2<String__Object>", "System.Collections.Generic.Dictionary`2[System.String,System.Object]")]
    [InlineData("__Array<S_P_CoreLib_System_Collections_Generic_List_1<Int32>>", "System.Collections.Generic.List`1[System.Int32][]")]
    public void Displays_mangled_names_in_the_runtimes_style(string mangled, string expected) =>
        Assert.Equal(expected, AotTypeName.Display(mangled));

    [Theory]
    [InlineData("BitFusion_Core_BitFusion_Core_Fusion_FusedBackup", "BitFusion.Core.Fusion.FusedBackup", true)]
    [InlineData("MyAssembly_Other_Ns_FusedBackup", "Other.Ns.FusedBackup", true)]
    [InlineData("BitFusion_Core_BitFusion_Core_Fusion_FusedBackup", "BitFusion.Core.Fusion.FusionCode", false)]
    [InlineData("BitFusion_Core_BitFusion_Core_Fusion_NotFusedBackup", "BitFusion.Core.Fusion.FusedBackup", false)]
    [InlineData("__Array<UInt64>", "System.UInt64[]", true)]
    public void Matches_requested_full_names(string mangled, string fullName, bool expected) =>
        Assert.Equal(expected, AotTypeName.Matches(mangled, fullName));
}
