namespace BitFusion.Core.Galois;

/// <summary>
/// Scalar arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the field Intel ISA-L
/// and most Reed–Solomon libraries use, so coded output can be checked against them.
/// </summary>
public static class Gf256
{
    /// <summary>The field's reduction polynomial, x^8 + x^4 + x^3 + x^2 + 1.</summary>
    public const int Polynomial = 0x11D;

    // Exp is doubled so Mul can index Log[a] + Log[b] without a modulo.
    private static readonly byte[] ExpTable;
    private static readonly byte[] LogTable;
    private static readonly byte[] FullTable;

    /// <summary>
    /// Fills the tables through locals: read through the static fields, every one of the 65,536 products of the full
    /// table went through the native-AOT class-constructor check (the class is still being constructed), which took
    /// milliseconds of a restarted process's recovery; this way it takes tens of microseconds.
    /// </summary>
    static Gf256()
    {
        byte[] exp = new byte[512], log = new byte[256], full = new byte[256 * 256];
        int x = 1;
        for (int i = 0; i < 255; i++)
        {
            exp[i] = (byte)x;
            log[x] = (byte)i;
            x <<= 1;
            if ((x & 0x100) != 0) x ^= Polynomial;
        }
        for (int i = 255; i < 512; i++) exp[i] = exp[i - 255];
        for (int a = 1; a < 256; a++)
        {
            Span<byte> row = full.AsSpan(a << 8, 256);
            int logA = log[a];
            for (int b = 1; b < 256; b++) row[b] = exp[logA + log[b]];
        }
        ExpTable = exp;
        LogTable = log;
        FullTable = full;
    }

    /// <summary>a + b, which in GF(2^8) is a ⊕ b (and equals a − b).</summary>
    public static byte Add(byte a, byte b) => (byte)(a ^ b);

    /// <summary>a · b, by one table lookup.</summary>
    public static byte Mul(byte a, byte b) => FullTable[(a << 8) | b];

    /// <summary>The 256 products c·x for x = 0..255: the scalar kernels' lookup row for constant c.</summary>
    public static ReadOnlySpan<byte> MulRow(byte c) => FullTable.AsSpan(c << 8, 256);

    /// <summary>The generator 2 raised to <paramref name="power"/> (any integer, taken modulo 255).</summary>
    public static byte Exp(int power) => ExpTable[((power % 255) + 255) % 255];

    /// <summary>
    /// The multiplicative inverse of <paramref name="a"/>. Throws <see cref="DivideByZeroException"/> for 0.
    /// </summary>
    public static byte Inv(byte a)
    {
        if (a == 0) throw new DivideByZeroException("0 has no inverse in GF(2^8).");
        return ExpTable[255 - LogTable[a]];
    }

    /// <summary>a / b. Throws <see cref="DivideByZeroException"/> when <paramref name="b"/> is 0.</summary>
    public static byte Div(byte a, byte b) => Mul(a, Inv(b));

    /// <summary>
    /// The 8×8 bit matrix of multiplication by c, packed the way GF2P8AFFINEQB reads its matrix operand:
    /// byte (7 - i) of the result holds row i, and bit j of row i is bit i of c·2^j.
    /// </summary>
    public static ulong AffineMatrix(byte c)
    {
        ulong m = 0;
        for (int j = 0; j < 8; j++)
        {
            byte column = Mul(c, (byte)(1 << j));
            for (int i = 0; i < 8; i++)
                if (((column >> i) & 1) != 0)
                    m |= 1UL << ((7 - i) * 8 + j);
        }
        return m;
    }
}
