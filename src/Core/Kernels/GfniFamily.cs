using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BitFusion.Core.Galois;

namespace BitFusion.Core.Kernels;

/// <summary>
/// Multiplication as GF2P8AFFINEQB with the constant's 8×8 bit matrix: one instruction per vector, any
/// polynomial. (GF2P8MULB would be one instruction too, but it is wired to 0x11B.)
/// </summary>
internal readonly unsafe struct GfniFamily : IGfFamily
{
    // Pinned for the process lifetime, so the kernels read it through a raw pointer.
    private static readonly ulong[] MatrixArray = BuildMatrices();
    private static readonly ulong* Matrices = (ulong*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(MatrixArray));

    private static ulong[] BuildMatrices()
    {
        var matrices = GC.AllocateArray<ulong>(256, pinned: true);
        for (int c = 0; c < 256; c++) matrices[c] = Gf256.AffineMatrix((byte)c);
        return matrices;
    }

    public static int PassCells => 48;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GfConstant<TVec> Constant<TOps, TVec>(byte c)
        where TOps : struct, ISimd<TVec>
        where TVec : struct =>
        new(TOps.BroadcastQword((byte*)(Matrices + c)), default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Split<TOps, TVec>(TVec x, out TVec a, out TVec b)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        a = x;
        b = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Multiply<TOps, TVec>(TVec a, TVec b, GfConstant<TVec> k)
        where TOps : struct, ISimd<TVec>
        where TVec : struct =>
        TOps.Affine(a, k.A);
}
