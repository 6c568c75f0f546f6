using System.Buffers;
using System.Runtime.CompilerServices;
using BitFusion.Core.Galois;

using static System.Runtime.CompilerServices.Unsafe;

namespace BitFusion.Core.Kernels;

/// <summary>
/// GF(2^8) multiply-XOR at one width and multiplication family. Encode first simplifies the matrix (all-zero
/// rows and columns dropped, an all-ones row moved first and done as XOR), then runs specialised passes: one
/// over the whole range when the shape fits a pass (≤ 8 sources, ≤ 4 outputs), else block by block with the
/// sources in balanced chunks and the outputs in balanced groups, so every block is fetched from memory once.
/// </summary>
internal sealed unsafe class VectorGfKernel<TOps, TVec, TFamily>(GfTier tier, XorKernel xor) : GfKernel
    where TOps : struct, ISimd<TVec>
    where TVec : struct
    where TFamily : struct, IGfFamily
{
    private const int PassSources = 8;
    private const int PassOutputs = 4;

    // A block of every stream in flight stays in L2 between the passes over it; a multiple of every width.
    private const nuint Block = 8 * 1024;

    // Below this a scalar lookup is cheaper than staging a padded vector.
    private const nuint ScalarBelow = 16;

    // Simplified matrices up to this many cells, and pointer lists up to this long, live on the stack.
    private const int StackCells = 1024;
    private const int StackPointers = 128;

    public override GfTier Tier => tier;

    public override void MulXor(byte* dst, byte* src, nuint length, byte c)
    {
        if (c == 0 || length == 0) return;
        if (c == 1)
        {
            xor.Xor(dst, src, length);
            return;
        }
        if (length < ScalarBelow)
        {
            ReadOnlySpan<byte> row = Gf256.MulRow(c);
            for (nuint i = 0; i < length; i++) dst[i] ^= row[src[i]];
            return;
        }
        nint output = (nint)dst, source = (nint)src;
        Combine(&c, 1, 1, &source, &output, length, xorRow: false);
    }

    // The stack buffers are written before they are read; zeroing them would cost more than a small encode.
    [SkipLocalsInit]
    public override void Encode(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length)
    {
        CheckShape(matrix, sources, outputs);
        int k = sources.Length, rows = outputs.Length;
        if (length == 0 || k == 0 || rows == 0) return;

        nint[]? rentedPointers = null;
        byte[]? rentedCells = null;
        Span<nint> pointers = k + rows <= StackPointers
            ? stackalloc nint[StackPointers]
            : rentedPointers = ArrayPool<nint>.Shared.Rent(k + rows);
        Span<byte> cells = matrix.Length <= StackCells
            ? stackalloc byte[StackCells]
            : rentedCells = ArrayPool<byte>.Shared.Rent(matrix.Length);
        try
        {
            var plan = EncodePlan.Build(matrix, sources, outputs, pointers, cells);
            if (plan.Rows == 0) return;
            fixed (nint* p = pointers)
            fixed (byte* m = cells)
            {
                nint* keptOutputs = p, keptSources = p + plan.Rows;
                if (plan.Rows == 1 && plan.XorRow)
                    xor.XorMany((byte*)keptOutputs[0], new ReadOnlySpan<nint>(keptSources, plan.Sources), length);
                else
                    Combine(m, plan.Rows, plan.Sources, keptSources, keptOutputs, length, plan.XorRow);
            }
        }
        finally
        {
            if (rentedPointers is not null) ArrayPool<nint>.Shared.Return(rentedPointers);
            if (rentedCells is not null) ArrayPool<byte>.Shared.Return(rentedCells);
        }
    }

    // outputs[r] ^= Σ_s m[r·k + s] · sources[s]; with xorRow, row 0 is all ones.
    private static void Combine(byte* m, int rows, int k, nint* sources, nint* outputs, nuint length, bool xorRow)
    {
        if (!NonTemporal.Pays(k + rows, length))
        {
            Range(m, rows, k, sources, outputs, 0, length, stream: false, xorRow);
            return;
        }
        nuint head = NonTemporal.HeadBytes((byte*)outputs[0], TOps.Width);
        nuint bodyEnd = head + ((length - head) & ~(TOps.Width - 1));
        Range(m, rows, k, sources, outputs, 0, head, stream: false, xorRow);
        Range(m, rows, k, sources, outputs, head, bodyEnd, stream: true, xorRow);
        NonTemporal.Fence();
        Range(m, rows, k, sources, outputs, bodyEnd, length, stream: false, xorRow);
    }

    private static void Range(byte* m, int rows, int k, nint* sources, nint* outputs, nuint start, nuint end, bool stream, bool xorRow)
    {
        if (start == end) return;
        if (k <= PassSources && rows <= PassOutputs)
        {
            uint mask = stream ? AlignedOutputs(outputs, rows, start) : 0;
            Pass(k, rows, xorRow, outputs, sources, m, (nuint)k, start, end, mask);
            return;
        }
        int groups = (rows + PassOutputs - 1) / PassOutputs;
        int chunks = (k + PassSources - 1) / PassSources;
        for (nuint block = start; block < end; block += Block)
        {
            nuint blockEnd = end - block > Block ? block + Block : end;
            int firstRow = 0;
            for (int g = 0; g < groups; g++)
            {
                int groupRows = (rows - firstRow) / (groups - g);
                int firstSource = 0;
                for (int c = 0; c < chunks; c++)
                {
                    int n = (k - firstSource) / (chunks - c);
                    uint mask = stream && c == chunks - 1 ? AlignedOutputs(outputs + firstRow, groupRows, block) : 0;
                    Pass(n, groupRows, xorRow && firstRow == 0, outputs + firstRow, sources + firstSource,
                        m + firstRow * k + firstSource, (nuint)k, block, blockEnd, mask);
                    firstSource += n;
                }
                firstRow += groupRows;
            }
        }
    }

    // Streaming stores need alignment; outputs whose misalignment differs from output 0's store normally.
    private static uint AlignedOutputs(nint* outputs, int rows, nuint at)
    {
        uint mask = 0;
        for (int r = 0; r < rows; r++)
            if ((((nuint)outputs[r] + at) & (TOps.Width - 1)) == 0) mask |= 1u << r;
        return mask;
    }

    private static void Pass(int k, int rows, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream)
    {
        switch (k)
        {
            case 1: Pass<N1>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 2: Pass<N2>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 3: Pass<N3>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 4: Pass<N4>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 5: Pass<N5>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 6: Pass<N6>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            case 7: Pass<N7>(rows, xorRow, o, s, m, stride, start, end, stream); break;
            default: Pass<N8>(rows, xorRow, o, s, m, stride, start, end, stream); break;
        }
    }

    private static void Pass<TK>(int rows, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream)
        where TK : struct, ICount
    {
        switch (rows)
        {
            case 1: Pass<TK, N1>(xorRow, o, s, m, stride, start, end, stream); break;
            case 2: Pass<TK, N2>(xorRow, o, s, m, stride, start, end, stream); break;
            case 3: Pass<TK, N3>(xorRow, o, s, m, stride, start, end, stream); break;
            default: Pass<TK, N4>(xorRow, o, s, m, stride, start, end, stream); break;
        }
    }

    // A lone all-ones row never gets here (it is XorMany), so R = 1 needs no XOR-row variant: multiplying by 1 is exact.
    private static void Pass<TK, TR>(bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream)
        where TK : struct, ICount
        where TR : struct, ICount
    {
        if (xorRow && SizeOf<TR>() > 1) GfPass<TOps, TVec, TFamily, TK, TR, Yes>.Run(o, s, m, stride, start, end, stream);
        else GfPass<TOps, TVec, TFamily, TK, TR, No>.Run(o, s, m, stride, start, end, stream);
    }
}
