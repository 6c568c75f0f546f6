using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>512-bit vectors: AVX-512F/BW, and GFNI's EVEX form.</summary>
internal readonly unsafe struct Simd512 : ISimd<Vector512<byte>>
{
    public static nuint Width { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 64; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector512<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(byte* p, Vector512<byte> v) => v.StoreAlignedNonTemporal(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> a, Vector512<byte> b) => a ^ b;

    // 0x96 is the truth table of a ^ b ^ c.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor3(Vector512<byte> a, Vector512<byte> b, Vector512<byte> c) => Avx512F.TernaryLogic(a, b, c, 0x96);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> And(Vector512<byte> a, Vector512<byte> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Splat(byte value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> ShiftRight4(Vector512<byte> v) => (v.AsUInt16() >>> 4).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> BroadcastTable(byte* table) => Vector512.Create(Vector128.Load(table));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> BroadcastQword(byte* p) => Vector512.Create(*(ulong*)p).AsByte();

    // VPSHUFB looks up within each 128-bit lane; BroadcastTable put the same table in all four.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Lookup16(Vector512<byte> table, Vector512<byte> index) => Avx512BW.Shuffle(table, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Affine(Vector512<byte> x, Vector512<byte> matrix) => Gfni.V512.GaloisFieldAffineTransform(x, matrix, 0);
}
