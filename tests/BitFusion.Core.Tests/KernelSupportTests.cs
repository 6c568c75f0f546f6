using BitFusion.Core.Kernels;

namespace BitFusion.Core.Tests;

public sealed class KernelSupportTests
{
    [Fact]
    public void Scalar_tiers_run_everywhere_and_best_is_a_supported_tier()
    {
        Assert.True(XorKernel.IsSupported(XorTier.Scalar));
        Assert.True(GfKernel.IsSupported(GfTier.Scalar));
        Assert.Contains(XorKernel.Best.Tier, XorKernel.SupportedTiers);
        Assert.Contains(GfKernel.Best.Tier, GfKernel.SupportedTiers);
    }

    [Fact]
    public void For_returns_the_tier_asked_for()
    {
        foreach (XorTier tier in XorKernel.SupportedTiers) Assert.Equal(tier, XorKernel.For(tier).Tier);
        foreach (GfTier tier in GfKernel.SupportedTiers) Assert.Equal(tier, GfKernel.For(tier).Tier);
    }

    [Fact]
    public void Unsupported_tiers_throw_PlatformNotSupportedException()
    {
        foreach (XorTier tier in Enum.GetValues<XorTier>().Where(t => !XorKernel.IsSupported(t)).Append((XorTier)99))
            Assert.Throws<PlatformNotSupportedException>(() => XorKernel.For(tier));
        foreach (GfTier tier in Enum.GetValues<GfTier>().Where(t => !GfKernel.IsSupported(t)).Append((GfTier)99))
            Assert.Throws<PlatformNotSupportedException>(() => GfKernel.For(tier));
    }

    [Fact]
    public void A_wider_tier_is_supported_only_if_the_narrower_ones_of_its_family_are()
    {
        // Kernels lean on this: a GF tier hands its 1-coefficient work to the XOR tier of the same width.
        if (GfKernel.IsSupported(GfTier.Gfni512) || GfKernel.IsSupported(GfTier.Shuffle512)) Assert.True(XorKernel.IsSupported(XorTier.Vector512));
        if (GfKernel.IsSupported(GfTier.Gfni256) || GfKernel.IsSupported(GfTier.Shuffle256)) Assert.True(XorKernel.IsSupported(XorTier.Vector256));
        if (GfKernel.IsSupported(GfTier.Gfni128) || GfKernel.IsSupported(GfTier.Shuffle128)) Assert.True(XorKernel.IsSupported(XorTier.Vector128));
        if (XorKernel.IsSupported(XorTier.Vector512)) Assert.True(XorKernel.IsSupported(XorTier.Vector256));
        if (XorKernel.IsSupported(XorTier.Vector256)) Assert.True(XorKernel.IsSupported(XorTier.Vector128));
    }
}
