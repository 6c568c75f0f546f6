using BitFusion.Core.Galois;
using BitFusion.Core.Kernels;

namespace BitFusion.Core.Tests;

/// <summary>
/// Every tier this CPU supports, forced through For(), agrees bit for bit with plain per-source XOR and
/// per-byte table multiplication, accumulating (XorMany, Encode) and overwriting (XorManyInto, EncodeInto):
/// every length 0..300, every misalignment, 0..12 sources, every constant, matrices full of 0s and 1s, and
/// lengths large enough for the streaming-store path (sized from its threshold, so every shape streams
/// whatever the threshold is tuned to) and for the block-by-block path of wide shapes.
/// </summary>
public sealed unsafe class KernelTierTests
{
    private const int MaxLength = 300;
    private const int Large = 5 * 1024 * 1024 + 3;

    public static TheoryData<XorTier> XorTiers => new(XorKernel.SupportedTiers);

    public static TheoryData<GfTier> GfTiers => new(GfKernel.SupportedTiers);

    private static readonly GfKernel ScalarGf = GfKernel.For(GfTier.Scalar);

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void Xor_matches_scalar_for_every_length_at_random_misalignments(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int length = 0; length <= MaxLength; length++)
            CheckXor(tier, rng, seed, length, rng.Next(64), [rng.Next(64)]);
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void Xor_matches_scalar_for_every_pair_of_misalignments(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        foreach (int length in new[] { 1, 63, 64, 65, 200 })
            for (int dstOffset = 0; dstOffset < 64; dstOffset++)
                for (int srcOffset = 0; srcOffset < 64; srcOffset++)
                    CheckXor(tier, rng, seed, length, dstOffset, [srcOffset]);
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void XorMany_matches_scalar_for_1_to_12_sources_and_every_length(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int k = 1; k <= 12; k++)
            for (int length = 0; length <= MaxLength; length++)
                CheckXor(tier, rng, seed, length, rng.Next(64), RandomOffsets(rng, k));
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void XorManyInto_matches_scalar_for_0_to_12_sources_and_every_length(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int k = 0; k <= 12; k++)
            for (int length = 0; length <= MaxLength; length++)
                CheckXor(tier, rng, seed, length, rng.Next(64), RandomOffsets(rng, k), into: true);
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void XorMany_with_no_sources_changes_nothing(XorTier tier)
    {
        int seed = KernelSeed.Next();
        CheckXor(tier, new Random(seed), seed, MaxLength, 5, []);
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void Xor_matches_scalar_at_large_lengths(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        CheckXor(tier, rng, seed, Large, 17, [33]);
        CheckXor(tier, rng, seed, Large, 63, RandomOffsets(rng, 5));
        CheckXor(tier, rng, seed, Streaming(12, 70), 9, RandomOffsets(rng, 11));
    }

    [Theory]
    [MemberData(nameof(XorTiers))]
    public void XorManyInto_matches_scalar_at_large_lengths_where_stores_stream(XorTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        CheckXor(tier, rng, seed, Streaming(2, 0), 0, [0], into: true);
        CheckXor(tier, rng, seed, Math.Max(Large, Streaming(6, 1)), 63, RandomOffsets(rng, 5), into: true);
        CheckXor(tier, rng, seed, Streaming(12, 70), 9, RandomOffsets(rng, 11), into: true);
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void MulXor_matches_scalar_for_every_constant_and_length(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        var dst = new KernelSlab(MaxLength);
        var src = new KernelSlab(MaxLength);
        for (int c = 0; c < 256; c++)
            for (int length = 0; length <= MaxLength; length++)
                CheckMulXor(tier, rng, seed, dst, src, length, (byte)c, rng.Next(64), rng.Next(64));
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void MulXor_matches_scalar_for_every_pair_of_misalignments(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        var dst = new KernelSlab(MaxLength);
        var src = new KernelSlab(MaxLength);
        foreach (int length in new[] { 17, 64, 130 })
            for (int dstOffset = 0; dstOffset < 64; dstOffset++)
                for (int srcOffset = 0; srcOffset < 64; srcOffset++)
                    CheckMulXor(tier, rng, seed, dst, src, length, (byte)rng.Next(2, 256), dstOffset, srcOffset);
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void MulXor_matches_scalar_at_large_lengths(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        int length = Streaming(2, 3);
        var dst = new KernelSlab(length);
        var src = new KernelSlab(length);
        CheckMulXor(tier, rng, seed, dst, src, length, 0x8E, 0, 0);
        CheckMulXor(tier, rng, seed, dst, src, length, 0x53, 13, 50);
        CheckMulXor(tier, rng, seed, dst, src, length - 1, 1, 63, 1);
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void Encode_matches_scalar_for_1_to_5_outputs_and_1_to_12_sources(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int rows = 1; rows <= 5; rows++)
            for (int k = 1; k <= 12; k++)
                for (int trial = 0; trial < 12; trial++)
                {
                    int length = trial == 0 ? 0 : trial == 1 ? MaxLength : rng.Next(MaxLength + 1);
                    CheckEncode(tier, rng, seed, RandomMatrix(rng, rows, k), rows, k, length, RandomOffsets(rng, rows), RandomOffsets(rng, k));
                }
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void EncodeInto_matches_scalar_for_1_to_5_outputs_and_0_to_12_sources(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int rows = 1; rows <= 5; rows++)
            for (int k = 0; k <= 12; k++)
                for (int trial = 0; trial < 8; trial++)
                {
                    int length = trial == 0 ? 0 : trial == 1 ? MaxLength : rng.Next(MaxLength + 1);
                    CheckEncode(tier, rng, seed, RandomMatrix(rng, rows, k), rows, k, length, RandomOffsets(rng, rows), RandomOffsets(rng, k), into: true);
                }
    }

    // The nibble tiers at 16 registers take up to 24 sources in one pass (NibblePass), past that in blocks.
    [Theory]
    [MemberData(nameof(GfTiers))]
    public void Encode_and_EncodeInto_match_scalar_for_13_to_26_sources(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        for (int rows = 1; rows <= 4; rows++)
            for (int k = 13; k <= 26; k++)
                for (int trial = 0; trial < 3; trial++)
                {
                    int length = trial == 0 ? MaxLength : rng.Next(MaxLength + 1);
                    bool into = trial == 2;
                    byte[] matrix = rows > 1 && rng.Next(2) == 0 ? ParityFirst(rng, rows, k) : RandomMatrix(rng, rows, k);
                    CheckEncode(tier, rng, seed, matrix, rows, k, length, RandomOffsets(rng, rows), RandomOffsets(rng, k), into);
                }
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void Encode_matches_scalar_at_large_lengths(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        CheckEncode(tier, rng, seed, ParityFirst(rng, 2, 5), 2, 5, Streaming(7, 0), [0, 0], RandomOffsets(rng, 5));
        // 12 sources and 4 outputs: one NibblePass at 128/256 bits, several passes per block for Shuffle512; 5
        // outputs: several passes per block on every tier.
        CheckEncode(tier, rng, seed, RandomMatrix(rng, 4, 12), 4, 12, Streaming(16, 5), RandomOffsets(rng, 4), RandomOffsets(rng, 12));
        CheckEncode(tier, rng, seed, RandomMatrix(rng, 5, 12), 5, 12, Streaming(17, 77), RandomOffsets(rng, 5), RandomOffsets(rng, 12));
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void EncodeInto_matches_scalar_at_large_lengths_where_stores_stream(GfTier tier)
    {
        int seed = KernelSeed.Next();
        var rng = new Random(seed);
        CheckEncode(tier, rng, seed, ParityFirst(rng, 2, 5), 2, 5, Streaming(7, 0), [0, 0], RandomOffsets(rng, 5), into: true);
        CheckEncode(tier, rng, seed, ParityFirst(rng, 3, 6), 3, 6, Streaming(9, 3), [7, 7, 7], RandomOffsets(rng, 6), into: true);
        // Outputs misaligned differently from each other: only those aligned like output 0 may stream.
        CheckEncode(tier, rng, seed, RandomMatrix(rng, 4, 10), 4, 10, Streaming(14, 5), [3, 0, 3, 40], RandomOffsets(rng, 10), into: true);
        CheckEncode(tier, rng, seed, RandomMatrix(rng, 5, 12), 5, 12, Streaming(17, 77), RandomOffsets(rng, 5), RandomOffsets(rng, 12), into: true);
    }

    [Theory]
    [MemberData(nameof(GfTiers))]
    public void Encode_with_a_matrix_of_the_wrong_shape_is_rejected_and_changes_nothing(GfTier tier)
    {
        var kernel = GfKernel.For(tier);
        byte[] output = [1, 2, 3, 4];
        byte[] source = [5, 6, 7, 8];
        fixed (byte* o = output)
        fixed (byte* s = source)
        {
            nint[] outputs = [(nint)o], sources = [(nint)s, (nint)s];
            var e = Assert.Throws<ArgumentException>(() => kernel.Encode([2, 3, 4], sources, outputs, 4));
            Assert.Contains("1 outputs × 2 sources", e.Message);
            Assert.Throws<ArgumentException>(() => kernel.EncodeInto([2, 3, 4], sources, outputs, 4));
        }
        Assert.Equal([1, 2, 3, 4], output);
    }

    // Just past the length from which a call over this many streams (sources plus outputs) stores non-temporally.
    private static int Streaming(int streams, int extra) => (int)(NonTemporal.FootprintThreshold / (ulong)streams) + 1 + extra;

    private static void CheckXor(XorTier tier, Random rng, int seed, int length, int dstOffset, int[] srcOffsets, bool into = false)
    {
        var kernel = XorKernel.For(tier);
        int k = srcOffsets.Length;
        byte[] dstData = Noise(rng, length);
        var srcData = new byte[k][];
        byte[] expected = into ? new byte[length] : (byte[])dstData.Clone();
        for (int s = 0; s < k; s++)
        {
            srcData[s] = Noise(rng, length);
            for (int i = 0; i < length; i++) expected[i] ^= srcData[s][i];
        }

        var dst = new KernelSlab(length);
        var srcs = new KernelSlab[k];
        var pointers = new nint[k];
        byte* d = dst.Place(dstData, dstOffset, rng);
        for (int s = 0; s < k; s++)
        {
            srcs[s] = new KernelSlab(length);
            pointers[s] = (nint)srcs[s].Place(srcData[s], srcOffsets[s], rng);
        }

        if (into) kernel.XorManyInto(d, pointers, (nuint)length);
        else if (k == 1 && rng.Next(2) == 0) kernel.Xor(d, (byte*)pointers[0], (nuint)length);
        else kernel.XorMany(d, pointers, (nuint)length);

        Func<string> context = () =>
            $"XOR tier {tier}, seed {seed}: {(into ? "XorManyInto" : "XorMany")} over {length} bytes, {k} sources, dst offset {dstOffset}, source offsets [{string.Join(", ", srcOffsets)}]";
        dst.AssertHolds(expected, context);
        for (int s = 0; s < k; s++) srcs[s].AssertHolds(srcData[s], context);
    }

    private static void CheckMulXor(GfTier tier, Random rng, int seed, KernelSlab dst, KernelSlab src, int length, byte c, int dstOffset, int srcOffset)
    {
        byte[] dstData = Noise(rng, length), srcData = Noise(rng, length);
        byte[] expected = (byte[])dstData.Clone();
        ScalarGf.MulXor(expected, srcData, c);
        byte* d = dst.Place(dstData, dstOffset, rng);
        byte* s = src.Place(srcData, srcOffset, rng);

        GfKernel.For(tier).MulXor(d, s, (nuint)length, c);

        Func<string> context = () => $"GF tier {tier}, seed {seed}: MulXor by {c} over {length} bytes, dst offset {dstOffset}, source offset {srcOffset}";
        dst.AssertHolds(expected, context);
        src.AssertHolds(srcData, context);
    }

    private static void CheckEncode(GfTier tier, Random rng, int seed, byte[] matrix, int rows, int k, int length, int[] outOffsets, int[] srcOffsets, bool into = false)
    {
        var srcData = new byte[k][];
        var outData = new byte[rows][];
        var expected = new byte[rows][];
        for (int s = 0; s < k; s++) srcData[s] = Noise(rng, length);
        for (int r = 0; r < rows; r++)
        {
            outData[r] = Noise(rng, length);
            expected[r] = into ? new byte[length] : (byte[])outData[r].Clone();
            for (int s = 0; s < k; s++) ScalarGf.MulXor(expected[r], srcData[s], matrix[r * k + s]);
        }

        var outs = new KernelSlab[rows];
        var srcs = new KernelSlab[k];
        var outPointers = new nint[rows];
        var srcPointers = new nint[k];
        for (int r = 0; r < rows; r++)
        {
            outs[r] = new KernelSlab(length);
            outPointers[r] = (nint)outs[r].Place(outData[r], outOffsets[r], rng);
        }
        for (int s = 0; s < k; s++)
        {
            srcs[s] = new KernelSlab(length);
            srcPointers[s] = (nint)srcs[s].Place(srcData[s], srcOffsets[s], rng);
        }

        if (into) GfKernel.For(tier).EncodeInto(matrix, srcPointers, outPointers, (nuint)length);
        else GfKernel.For(tier).Encode(matrix, srcPointers, outPointers, (nuint)length);

        for (int r = 0; r < rows; r++)
        {
            int row = r;
            outs[r].AssertHolds(expected[r], () =>
                $"GF tier {tier}, seed {seed}: {(into ? "EncodeInto" : "Encode")} {rows}×{k} over {length} bytes, output {row}, matrix [{string.Join(", ", matrix)}], " +
                $"output offsets [{string.Join(", ", outOffsets)}], source offsets [{string.Join(", ", srcOffsets)}]");
        }
        for (int s = 0; s < k; s++)
            srcs[s].AssertHolds(srcData[s], () => $"GF tier {tier}, seed {seed}: Encode {rows}×{k} over {length} bytes changed a source");
    }

    // Cells are 0 or 1 half the time, and whole rows and columns are sometimes zero or one.
    private static byte[] RandomMatrix(Random rng, int rows, int k)
    {
        var m = new byte[rows * k];
        for (int i = 0; i < m.Length; i++)
            m[i] = rng.Next(4) switch { 0 => 0, 1 => 1, _ => (byte)rng.Next(256) };
        if (rng.Next(3) == 0) m.AsSpan(rng.Next(rows) * k, k).Fill(1);
        if (rng.Next(4) == 0) m.AsSpan(rng.Next(rows) * k, k).Clear();
        if (k > 0 && rng.Next(4) == 0)
        {
            int column = rng.Next(k);
            for (int r = 0; r < rows; r++) m[r * k + column] = 0;
        }
        return m;
    }

    // The shape fusion encodes with: backup 0 is the XOR of everything, the others general combinations.
    private static byte[] ParityFirst(Random rng, int rows, int k)
    {
        var m = new byte[rows * k];
        m.AsSpan(0, k).Fill(1);
        for (int i = k; i < m.Length; i++) m[i] = (byte)rng.Next(2, 256);
        return m;
    }

    private static int[] RandomOffsets(Random rng, int count)
    {
        var offsets = new int[count];
        for (int i = 0; i < count; i++) offsets[i] = rng.Next(64);
        return offsets;
    }

    private static byte[] Noise(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }
}
