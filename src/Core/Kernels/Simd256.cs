using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>256-bit vectors: AVX2, and GFNI's VEX form.</summary>
internal readonly unsafe struct Simd256 : ISimd<Vector256<byte>>
{
    public static nuint Width { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 32; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector256<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(byte* p, Vector256<byte> v) => v.StoreAlignedNonTemporal(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> a, Vector256<byte> b) => a ^ b;

    // 0x96 is the truth table of a ^ b ^ c; AVX-512VL has it at this width, plain AVX2 takes two XORs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor3(Vector256<byte> a, Vector256<byte> b, Vector256<byte> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0x96) : a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> And(Vector256<byte> a, Vector256<byte> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Splat(byte value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ShiftRight4(Vector256<byte> v) => (v.AsUInt16() >>> 4).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> BroadcastTable(byte* table) => Vector256.Create(Vector128.Load(table));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> BroadcastQword(byte* p) => Vector256.Create(*(ulong*)p).AsByte();

    // VPSHUFB looks up within each 128-bit lane; BroadcastTable put the same table in both.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Lookup16(Vector256<byte> table, Vector256<byte> index) => Avx2.Shuffle(table, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Affine(Vector256<byte> x, Vector256<byte> matrix) => Gfni.V256.GaloisFieldAffineTransform(x, matrix, 0);
}
