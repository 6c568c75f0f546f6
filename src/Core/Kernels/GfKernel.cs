namespace BitFusion.Core.Kernels;

/// <summary>
/// Multiply-by-constant-and-XOR over GF(2^8) (0x11D). One instance per tier; <see cref="Best"/> is the
/// fastest tier this CPU runs, <see cref="For"/> pins one for tests and benchmarks. All tiers agree bit for bit.
/// Kernels are stateless, so one instance serves any number of threads at once. The pointer overloads trust the
/// caller to keep every pointer valid for the length given (pin the memory first); the span overloads check lengths.
/// </summary>
public abstract unsafe class GfKernel
{
    /// <summary>Only this assembly's tiers derive: callers get kernels from <see cref="Best"/> or <see cref="For"/>.</summary>
    private protected GfKernel()
    {
    }

    /// <summary>The instruction set this instance multiplies with.</summary>
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

    /// <summary>
    /// dst[i] ^= c · src[i] over src's length. Throws <see cref="ArgumentException"/> when <paramref name="src"/> is
    /// longer than <paramref name="dst"/>. The spans may not overlap unless equal.
    /// </summary>
    public void MulXor(Span<byte> dst, ReadOnlySpan<byte> src, byte c)
    {
        if (src.Length > dst.Length)
            throw new ArgumentException($"Source ({src.Length} bytes) is longer than destination ({dst.Length} bytes).", nameof(src));
        fixed (byte* d = dst)
        fixed (byte* s = src)
            MulXor(d, s, (nuint)src.Length, c);
    }

    private protected static void CheckShape(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs)
    {
        if (matrix.Length != sources.Length * outputs.Length)
            throw new ArgumentException(
                $"Matrix has {matrix.Length} cells; {outputs.Length} outputs × {sources.Length} sources need {sources.Length * outputs.Length}.",
                nameof(matrix));
    }

    /// <summary>
    /// The fastest tier this process runs (under native AOT: the fastest the binary was compiled for). Stateless: safe
    /// to share between threads.
    /// </summary>
    public static GfKernel Best { get; } = For(KernelSupport.BestGfTier);

    /// <summary>True when <paramref name="tier"/> runs in this process.</summary>
    public static bool IsSupported(GfTier tier) => KernelSupport.IsSupported(tier);

    /// <summary>Every tier that runs in this process, slowest first.</summary>
    public static IEnumerable<GfTier> SupportedTiers => Enum.GetValues<GfTier>().Where(IsSupported);

    /// <summary>
    /// The kernel of <paramref name="tier"/>. Throws <see cref="PlatformNotSupportedException"/> when this CPU (or this
    /// AOT binary) lacks it.
    /// </summary>
    public static GfKernel For(GfTier tier)
    {
        if (!IsSupported(tier)) throw new PlatformNotSupportedException($"GF tier {tier} is not supported on this CPU.");
        return KernelSupport.Create(tier);
    }
}
