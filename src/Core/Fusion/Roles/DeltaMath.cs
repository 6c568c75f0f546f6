using System.Runtime.InteropServices;
using BitFusion.Core.Bits;
using BitFusion.Core.Kernels;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>The one place a delta is multiplied by a coefficient: target ^= c · delta, over words the caller has sized.</summary>
internal static class DeltaMath
{
    public static void MulXor(GfKernel kernel, Span<ulong> target, in Delta delta, byte c)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(target);
        if (!delta.Words.IsEmpty)
            kernel.MulXor(bytes[(delta.FirstWord * sizeof(ulong))..], MemoryMarshal.AsBytes(delta.Words), c);
        if (delta.HasExtra)
        {
            ulong extra = delta.ExtraXor;
            kernel.MulXor(bytes.Slice(delta.ExtraWord * sizeof(ulong), sizeof(ulong)), MemoryMarshal.AsBytes(new ReadOnlySpan<ulong>(in extra)), c);
        }
    }
}
