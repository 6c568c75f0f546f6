namespace BitFusion.Core.Kernels;

/// <summary>
/// Multiply-by-constant-and-XOR over GF(2^8) (0x11D). One instance per tier; <see cref="Best"/> is the
/// fastest tier this CPU runs, <see cref="For"/> pins one for tests and benchmarks. All tiers agree bit for bit.
/// </summary>
public abstract unsafe class GfKernel
{
    public abstract GfTier Tier { get; }

    /// <summary>dst[i] ^= c · src[i] for <paramref name="length"/> bytes.</summary>
    public abstract void MulXor(byte* dst, byte* src, nuint length, byte c);

    /// <summary>
    /// outputs[r] ^= Σ_s matrix[r, s] · sources[s] over <paramref name="length"/> bytes, with the matrix
    /// row-major, outputs.Length × sources.Length. Reads each source once for all outputs.
    /// </summary>
    public abstract void Encode(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length);

    /// <summary>
    /// outputs[r] = Σ_s matrix[r, s] · sources[s]: like <see cref="Encode"/>, but the outputs are only written,
    /// so large calls stream them straight to memory and move fewer bytes.
    /// </summary>
    public abstract void EncodeInto(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length);

    public void MulXor(Span<byte> dst, ReadOnlySpan<byte> src, byte c)
    {
        if (src.Length > dst.Length)
            throw new ArgumentException($"Source ({src.Length} bytes) is longer than destination ({dst.Length} bytes).", nameof(src));
        fixed (byte* d = dst)
        fixed (byte* s = src)
            MulXor(d, s, (nuint)src.Length, c);
    }

    protected static void CheckShape(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs)
    {
        if (matrix.Length != sources.Length * outputs.Length)
            throw new ArgumentException(
                $"Matrix has {matrix.Length} cells; {outputs.Length} outputs × {sources.Length} sources need {sources.Length * outputs.Length}.",
                nameof(matrix));
    }

    public static GfKernel Best { get; } = For(KernelSupport.BestGfTier);

    public static bool IsSupported(GfTier tier) => KernelSupport.IsSupported(tier);

    public static IEnumerable<GfTier> SupportedTiers => Enum.GetValues<GfTier>().Where(IsSupported);

    public static GfKernel For(GfTier tier)
    {
        if (!IsSupported(tier)) throw new PlatformNotSupportedException($"GF tier {tier} is not supported on this CPU.");
        return KernelSupport.Create(tier);
    }
}
