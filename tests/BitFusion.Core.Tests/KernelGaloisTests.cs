using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BitFusion.Core.Galois;

namespace BitFusion.Core.Tests;

/// <summary>The field arithmetic the kernels are checked against, itself checked from first principles.</summary>
public sealed class KernelGaloisTests
{
    [Fact]
    public void Mul_is_carry_less_multiplication_reduced_by_0x11D_for_every_pair()
    {
        for (int a = 0; a < 256; a++)
            for (int b = 0; b < 256; b++)
                Assert.True(Gf256.Mul((byte)a, (byte)b) == CarryLessMul(a, b), $"{a:X2} · {b:X2}");
    }

    [Fact]
    public void MulRow_is_the_products_by_its_constant()
    {
        for (int c = 0; c < 256; c++)
        {
            ReadOnlySpan<byte> row = Gf256.MulRow((byte)c);
            for (int x = 0; x < 256; x++) Assert.Equal(CarryLessMul(c, x), row[x]);
        }
    }

    [Fact]
    public void Every_nonzero_element_has_an_inverse_and_zero_has_none()
    {
        for (int a = 1; a < 256; a++)
        {
            Assert.Equal(1, Gf256.Mul((byte)a, Gf256.Inv((byte)a)));
            Assert.Equal((byte)a, Gf256.Div(1, Gf256.Inv((byte)a)));
        }
        Assert.Throws<DivideByZeroException>(() => Gf256.Inv(0));
    }

    [Fact]
    public void Two_generates_the_multiplicative_group()
    {
        var seen = new HashSet<byte>();
        for (int p = 0; p < 255; p++) Assert.True(seen.Add(Gf256.Exp(p)), $"2^{p} repeats");
        Assert.DoesNotContain((byte)0, seen);
    }

    [Fact]
    public void AffineMatrix_times_x_is_c_times_x_under_the_GF2P8AFFINEQB_definition()
    {
        // Intel SDM: result bit i = parity(matrix.byte[7 - i] AND x) XOR imm8.bit[i], here imm8 = 0.
        for (int c = 0; c < 256; c++)
        {
            ulong matrix = Gf256.AffineMatrix((byte)c);
            for (int x = 0; x < 256; x++)
            {
                int result = 0;
                for (int i = 0; i < 8; i++)
                {
                    int row = (int)(matrix >> ((7 - i) * 8)) & 0xFF;
                    result |= (System.Numerics.BitOperations.PopCount((uint)(row & x)) & 1) << i;
                }
                Assert.True(result == CarryLessMul(c, x), $"matrix of {c:X2} applied to {x:X2}");
            }
        }
    }

    [Fact]
    public void AffineMatrix_agrees_with_the_hardware_instruction_where_there_is_one()
    {
        if (!Gfni.IsSupported) return;
        for (int c = 0; c < 256; c++)
        {
            Vector128<byte> matrix = Vector128.Create(Gf256.AffineMatrix((byte)c)).AsByte();
            for (int x = 0; x < 256; x += 16)
            {
                Vector128<byte> xs = Vector128.Create((byte)x) + Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                Vector128<byte> products = Gfni.GaloisFieldAffineTransform(xs, matrix, 0);
                for (int j = 0; j < 16; j++) Assert.True(products[j] == CarryLessMul(c, x + j), $"{c:X2} · {x + j:X2}");
            }
        }
    }

    // Schoolbook: multiply as polynomials over GF(2), then reduce by x^8 + x^4 + x^3 + x^2 + 1.
    private static int CarryLessMul(int a, int b)
    {
        int product = 0;
        for (int i = 0; i < 8; i++)
            if (((b >> i) & 1) != 0) product ^= a << i;
        for (int bit = 14; bit >= 8; bit--)
            if (((product >> bit) & 1) != 0) product ^= 0x11D << (bit - 8);
        return product;
    }
}
