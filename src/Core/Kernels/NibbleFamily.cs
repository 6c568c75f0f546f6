using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BitFusion.Core.Galois;

namespace BitFusion.Core.Kernels;

/// <summary>
/// Split-nibble multiplication: c·x = c·(x &amp; 15) ⊕ c·(x &amp; 240), each half a 16-entry table lookup done
/// by a byte shuffle. Two tables per constant, 32 bytes.
/// </summary>
internal readonly unsafe struct NibbleFamily : IGfFamily
{
    private const int TableBytes = 32;

    // Per constant c: c·x for x = 0..15, then c·(x << 4) for x = 0..15. Pinned for the process lifetime.
    private static readonly byte[] TableArray = BuildTables();
    private static readonly byte* Tables = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(TableArray));

    private static byte[] BuildTables()
    {
        var tables = GC.AllocateArray<byte>(256 * TableBytes, pinned: true);
        for (int c = 0; c < 256; c++)
            for (int x = 0; x < 16; x++)
            {
                tables[c * TableBytes + x] = Gf256.Mul((byte)c, (byte)x);
                tables[c * TableBytes + 16 + x] = Gf256.Mul((byte)c, (byte)(x << 4));
            }
        return tables;
    }

    public static int PassCells => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GfConstant<TVec> Constant<TOps, TVec>(byte c)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        byte* t = Tables + c * TableBytes;
        return new(TOps.BroadcastTable(t), TOps.BroadcastTable(t + 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Split<TOps, TVec>(TVec x, out TVec a, out TVec b)
        where TOps : struct, ISimd<TVec>
        where TVec : struct
    {
        TVec mask = TOps.Splat(0x0F);
        a = TOps.And(x, mask);
        b = TOps.And(TOps.ShiftRight4(x), mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Multiply<TOps, TVec>(TVec a, TVec b, GfConstant<TVec> k)
        where TOps : struct, ISimd<TVec>
        where TVec : struct =>
        TOps.Xor(TOps.Lookup16(k.A, a), TOps.Lookup16(k.B, b));
}
