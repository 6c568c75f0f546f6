using System.Runtime.InteropServices;

namespace BitFusion.Core.Kernels;

/// <summary>The reference tier: one 64-bit word at a time.</summary>
internal sealed unsafe class ScalarXorKernel : XorKernel
{
    public override XorTier Tier => XorTier.Scalar;

    public override void Xor(byte* dst, byte* src, nuint length)
    {
        nuint i = 0;
        for (; i + 8 <= length; i += 8) *(ulong*)(dst + i) ^= *(ulong*)(src + i);
        for (; i < length; i++) dst[i] ^= src[i];
    }

    public override void XorMany(byte* dst, ReadOnlySpan<nint> sources, nuint length)
    {
        nuint i = 0;
        for (; i + 8 <= length; i += 8)
        {
            ulong acc = *(ulong*)(dst + i);
            foreach (nint s in sources) acc ^= *(ulong*)((byte*)s + i);
            *(ulong*)(dst + i) = acc;
        }
        for (; i < length; i++)
        {
            byte acc = dst[i];
            foreach (nint s in sources) acc ^= ((byte*)s)[i];
            dst[i] = acc;
        }
    }

    public override void XorManyInto(byte* dst, ReadOnlySpan<nint> sources, nuint length)
    {
        NativeMemory.Clear(dst, length);
        XorMany(dst, sources, length);
    }
}
