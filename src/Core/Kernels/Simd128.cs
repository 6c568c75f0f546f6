using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Core.Kernels;

/// <summary>128-bit vectors: SSE/SSSE3/GFNI on x86, AdvSIMD on Arm (everything but <see cref="Affine"/>).</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<byte>>
{
    public static nuint Width { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector128<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(byte* p, Vector128<byte> v) => v.StoreAlignedNonTemporal(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> a, Vector128<byte> b) => a ^ b;

    // 0x96 is the truth table of a ^ b ^ c; AVX-512VL has it at this width, elsewhere it takes two XORs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor3(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0x96) : a ^ b ^ c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> And(Vector128<byte> a, Vector128<byte> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Splat(byte value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> ShiftRight4(Vector128<byte> v) => (v.AsUInt16() >>> 4).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> BroadcastTable(byte* table) => Vector128.Load(table);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> BroadcastQword(byte* p) => Vector128.Create(*(ulong*)p).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Lookup16(Vector128<byte> table, Vector128<byte> index) => Vector128.ShuffleNative(table, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Affine(Vector128<byte> x, Vector128<byte> matrix) => Gfni.GaloisFieldAffineTransform(x, matrix, 0);
}
