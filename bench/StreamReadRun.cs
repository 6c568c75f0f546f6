using System.Runtime.Intrinsics;

namespace BitFusion.Bench;

/// <summary>
/// The limit every kernel is held to: read the same source bytes in the same order as a kernel does (all k
/// streams side by side, a block from each in turn) with the widest vector loads, and do nothing else. The
/// loads fold into four XOR accumulators (independent chains, so folding never limits loading) and the fold
/// lands in a field, so the JIT cannot drop them.
/// </summary>
internal sealed unsafe class StreamReadRun(int sources) : IKernelRun
{
    private ulong _sink;

    public bool Overwrites => false;

    public void Run(nint* sourcePointers, nint* outputs, nuint length)
    {
        _sink ^= Vector512.IsHardwareAccelerated ? Read512(sourcePointers, length) : Read256(sourcePointers, length);
    }

    private ulong Read512(nint* pointers, nuint length)
    {
        Vector512<ulong> a = default, b = default, c = default, d = default;
        nuint i = 0;
        for (; i + 256 <= length; i += 256)
            for (int s = 0; s < sources; s++)
            {
                byte* p = (byte*)pointers[s] + i;
                a ^= Vector512.Load((ulong*)p);
                b ^= Vector512.Load((ulong*)(p + 64));
                c ^= Vector512.Load((ulong*)(p + 128));
                d ^= Vector512.Load((ulong*)(p + 192));
            }
        return Fold(a ^ b ^ c ^ d) ^ Tail(pointers, i, length);
    }

    private ulong Read256(nint* pointers, nuint length)
    {
        Vector256<ulong> a = default, b = default, c = default, d = default;
        nuint i = 0;
        for (; i + 128 <= length; i += 128)
            for (int s = 0; s < sources; s++)
            {
                byte* p = (byte*)pointers[s] + i;
                a ^= Vector256.Load((ulong*)p);
                b ^= Vector256.Load((ulong*)(p + 32));
                c ^= Vector256.Load((ulong*)(p + 64));
                d ^= Vector256.Load((ulong*)(p + 96));
            }
        return Fold(a ^ b ^ c ^ d) ^ Tail(pointers, i, length);
    }

    private static ulong Fold(Vector512<ulong> v) => Fold(v.GetLower() ^ v.GetUpper());

    private static ulong Fold(Vector256<ulong> v)
    {
        ulong folded = 0;
        for (int lane = 0; lane < Vector256<ulong>.Count; lane++) folded ^= v.GetElement(lane);
        return folded;
    }

    private ulong Tail(nint* pointers, nuint from, nuint length)
    {
        ulong folded = 0;
        for (int s = 0; s < sources; s++)
            for (nuint i = from; i < length; i++) folded ^= ((byte*)pointers[s])[i];
        return folded;
    }
}
