using System.Runtime.InteropServices;
using BitFusion.Core.Galois;

namespace BitFusion.Core.Kernels;

/// <summary>The reference tier: a 256-entry product row per constant.</summary>
internal sealed unsafe class ScalarGfKernel : GfKernel
{
    public override GfTier Tier => GfTier.Scalar;

    public override void MulXor(byte* dst, byte* src, nuint length, byte c)
    {
        if (c == 0) return;
        if (c == 1)
        {
            KernelSupport.ScalarXor.Xor(dst, src, length);
            return;
        }
        ReadOnlySpan<byte> row = Gf256.MulRow(c);
        for (nuint i = 0; i < length; i++) dst[i] ^= row[src[i]];
    }

    public override void Encode(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length)
    {
        CheckShape(matrix, sources, outputs);
        for (int r = 0; r < outputs.Length; r++)
            for (int s = 0; s < sources.Length; s++)
                MulXor((byte*)outputs[r], (byte*)sources[s], length, matrix[r * sources.Length + s]);
    }

    public override void EncodeInto(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length)
    {
        CheckShape(matrix, sources, outputs);
        foreach (nint output in outputs) NativeMemory.Clear((void*)output, length);
        Encode(matrix, sources, outputs, length);
    }
}
