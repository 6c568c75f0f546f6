namespace BitFusion.Core.Kernels;

/// <summary>
/// XOR of byte ranges. One instance per tier; <see cref="Best"/> is the widest tier this CPU runs, and
/// <see cref="For"/> gives any supported tier so tests and benchmarks can pin one.
/// Kernels are stateless, so one instance serves any number of threads at once. The pointer overloads trust the
/// caller to keep every pointer valid for the length given (pin the memory first); the span overloads check lengths.
/// </summary>
public abstract unsafe class XorKernel
{
    /// <summary>Only this assembly's tiers derive: callers get kernels from <see cref="Best"/> or <see cref="For"/>.</summary>
    private protected XorKernel()
    {
    }

    /// <summary>The vector width this instance XORs at.</summary>
    public abstract XorTier Tier { get; }

    /// <summary>dst ^= src over <paramref name="length"/> bytes.</summary>
    public abstract void Xor(byte* dst, byte* src, nuint length);

    /// <summary>dst ^= src_0 ^ … ^ src_(k-1), reading and writing dst once.</summary>
    public abstract void XorMany(byte* dst, ReadOnlySpan<nint> sources, nuint length);

    /// <summary>
    /// dst = src_0 ^ … ^ src_(k-1) (all zero for no sources). dst is never read, so large calls stream it
    /// straight to memory: from memory this moves (k + 1)/(k + 2) of <see cref="XorMany"/>'s bytes, and runs faster.
    /// </summary>
    public abstract void XorManyInto(byte* dst, ReadOnlySpan<nint> sources, nuint length);

    /// <summary>
    /// dst ^= src over src's length. Throws <see cref="ArgumentException"/> when <paramref name="src"/> is longer than
    /// <paramref name="dst"/>.
    /// </summary>
    public void Xor(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        if (src.Length > dst.Length)
            throw new ArgumentException($"Source ({src.Length} bytes) is longer than destination ({dst.Length} bytes).", nameof(src));
        fixed (byte* d = dst)
        fixed (byte* s = src)
            Xor(d, s, (nuint)src.Length);
    }

    /// <summary>
    /// dst ^= src over src's length, word by word. Throws <see cref="ArgumentException"/> when <paramref name="src"/>
    /// is longer than <paramref name="dst"/>.
    /// </summary>
    public void Xor(Span<ulong> dst, ReadOnlySpan<ulong> src) =>
        Xor(System.Runtime.InteropServices.MemoryMarshal.AsBytes(dst), System.Runtime.InteropServices.MemoryMarshal.AsBytes(src));

    /// <summary>
    /// The widest tier this process runs (under native AOT: the widest the binary was compiled for). Stateless: safe to
    /// share between threads.
    /// </summary>
    public static XorKernel Best { get; } = For(KernelSupport.BestXorTier);

    /// <summary>True when <paramref name="tier"/> runs in this process.</summary>
    public static bool IsSupported(XorTier tier) => KernelSupport.IsSupported(tier);

    /// <summary>Every tier that runs in this process, narrowest first.</summary>
    public static IEnumerable<XorTier> SupportedTiers => Enum.GetValues<XorTier>().Where(IsSupported);

    /// <summary>
    /// The kernel of <paramref name="tier"/>. Throws <see cref="PlatformNotSupportedException"/> when this CPU (or this
    /// AOT binary) lacks it.
    /// </summary>
    public static XorKernel For(XorTier tier)
    {
        if (!IsSupported(tier)) throw new PlatformNotSupportedException($"XOR tier {tier} is not supported on this CPU.");
        return KernelSupport.Create(tier);
    }
}
