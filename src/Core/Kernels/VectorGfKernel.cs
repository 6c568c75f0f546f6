using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BitFusion.Core.Galois;

using static System.Runtime.CompilerServices.Unsafe;

namespace BitFusion.Core.Kernels;

/// <summary>
/// GF(2^8) multiply-XOR at one width and multiplication family. Encode first simplifies the matrix (all-zero
/// rows and columns dropped, an all-ones row moved first and done as XOR), then runs specialised passes: one
/// over the whole range when the shape fits a pass (≤ 4 outputs and ≤ 12 sources, fewer where the family's
/// budget of cells says so; split-nibble tables on 16 registers take ≤ 4 outputs and ≤ 24 sources in one
/// <see cref="NibblePass{TOps, TVec, TR, TXorRow, TStore}"/> past that budget), else block by block with the
/// sources in balanced chunks and the outputs in balanced groups, so every block is fetched from memory once.
/// Outputs that are only written (<see cref="EncodeInto"/>) are streamed past the caches once the call is large.
/// </summary>
internal sealed unsafe class VectorGfKernel<TOps, TVec, TFamily>(GfTier tier, XorKernel xor) : GfKernel
    where TOps : struct, ISimd<TVec>
    where TVec : struct
    where TFamily : struct, IGfFamily
{
    // The shapes GfPass is written out for.
    private const int PassSources = 12;
    private const int PassOutputs = 4;

    // When a shape needs several passes, they take turns block by block; a block of the outputs in flight stays
    // in L2 between them. Measured from memory for a 10+4 encode split in two passes: 8 KiB blocks 12.5 GB/s,
    // 128 KiB 15.0 (one pass, where the family allows it: 19.4).
    // A multiple of every width.
    private const nuint Block = 128 * 1024;

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
        Combine(&c, 1, 1, &source, &output, length, xorRow: false, overwrite: false);
    }

    public override void Encode(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length) =>
        Encode(matrix, sources, outputs, length, overwrite: false);

    public override void EncodeInto(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length) =>
        Encode(matrix, sources, outputs, length, overwrite: true);

    // The stack buffers are written before they are read; zeroing them would cost more than a small encode.
    [SkipLocalsInit]
    private void Encode(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, nuint length, bool overwrite)
    {
        CheckShape(matrix, sources, outputs);
        int k = sources.Length, rows = outputs.Length;
        if (length == 0 || rows == 0) return;
        // The plan drops all-zero rows; written-only outputs still have to become zero.
        if (overwrite)
            for (int r = 0; r < rows; r++)
                if (!matrix.Slice(r * k, k).ContainsAnyExcept((byte)0)) NativeMemory.Clear((void*)outputs[r], length);
        if (k == 0) return;

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
                var keptSourceSpan = new ReadOnlySpan<nint>(keptSources, plan.Sources);
                if (plan.Rows == 1 && plan.XorRow && overwrite) xor.XorManyInto((byte*)keptOutputs[0], keptSourceSpan, length);
                else if (plan.Rows == 1 && plan.XorRow) xor.XorMany((byte*)keptOutputs[0], keptSourceSpan, length);
                else Combine(m, plan.Rows, plan.Sources, keptSources, keptOutputs, length, plan.XorRow, overwrite);
            }
        }
        finally
        {
            if (rentedPointers is not null) ArrayPool<nint>.Shared.Return(rentedPointers);
            if (rentedCells is not null) ArrayPool<byte>.Shared.Return(rentedCells);
        }
    }

    // outputs[r] (^)= Σ_s m[r·k + s] · sources[s]; with xorRow, row 0 is all ones. Only outputs that are not
    // read are streamed: ones read for accumulation are in cache already, and streaming them measured ~5% slower.
    private static void Combine(byte* m, int rows, int k, nint* sources, nint* outputs, nuint length, bool xorRow, bool overwrite)
    {
        if (!overwrite || !NonTemporal.Pays(k + rows, length))
        {
            Range(m, rows, k, sources, outputs, 0, length, stream: false, xorRow, overwrite);
            return;
        }
        nuint head = NonTemporal.HeadBytes((byte*)outputs[0], TOps.Width);
        nuint bodyEnd = head + ((length - head) & ~(TOps.Width - 1));
        Range(m, rows, k, sources, outputs, 0, head, stream: false, xorRow, overwrite);
        Range(m, rows, k, sources, outputs, head, bodyEnd, stream: true, xorRow, overwrite);
        NonTemporal.Fence();
        Range(m, rows, k, sources, outputs, bodyEnd, length, stream: false, xorRow, overwrite);
    }

    private static void Range(byte* m, int rows, int k, nint* sources, nint* outputs, nuint start, nuint end, bool stream, bool xorRow, bool overwrite)
    {
        if (start == end) return;
        if (rows <= PassOutputs && k <= SourcesPerPass(rows))
        {
            uint mask = stream ? AlignedOutputs(outputs, rows, start) : 0;
            Pass(k, rows, xorRow, outputs, sources, m, (nuint)k, start, end, mask, overwrite);
            return;
        }
        if (rows <= PassOutputs && k <= WideSources)
        {
            uint mask = stream ? AlignedOutputs(outputs, rows, start) : 0;
            WidePass(k, rows, xorRow, outputs, sources, m, start, end, mask, overwrite);
            return;
        }
        int groups = (rows + PassOutputs - 1) / PassOutputs;
        for (nuint block = start; block < end; block += Block)
        {
            nuint blockEnd = end - block > Block ? block + Block : end;
            int firstRow = 0;
            for (int g = 0; g < groups; g++)
            {
                int groupRows = (rows - firstRow) / (groups - g);
                int perPass = SourcesPerPass(groupRows);
                int chunks = (k + perPass - 1) / perPass;
                int firstSource = 0;
                for (int c = 0; c < chunks; c++)
                {
                    int n = (k - firstSource) / (chunks - c);
                    uint mask = stream && c == chunks - 1 ? AlignedOutputs(outputs + firstRow, groupRows, block) : 0;
                    Pass(n, groupRows, xorRow && firstRow == 0, outputs + firstRow, sources + firstSource,
                        m + firstRow * k + firstSource, (nuint)k, block, blockEnd, mask, overwrite && c == 0);
                    firstSource += n;
                }
                firstRow += groupRows;
            }
        }
    }

    // Past its family's budget of cells a pass would hold more constants than the JIT keeps out of memory.
    private static int SourcesPerPass(int rows) => Math.Min(PassSources, TFamily.PassCells / rows);

    // Shapes too wide for one GfPass that still take one pass: split-nibble tables at the widths whose instruction
    // sets have 16 vector registers (SSSE3, AVX2) go to NibblePass, which reads its tables from L1. A Shuffle256
    // 10+4 used to be two 5-source passes over 128 KiB blocks, the second accumulating into the first's outputs,
    // so neither streamed nor prefetched; as one pass from memory it took 0.84 of the CPU time. Narrower shapes
    // keep GfPass, whose tables in registers cost fewer loads (6+3 in L1: 0.92 of NibblePass's CPU time).
    // Shuffle512 (32 registers, not measured with NibblePass) keeps GfPass in blocks.
    private static int WideSources =>
        typeof(TFamily) == typeof(NibbleFamily) && TOps.Width <= 32 ? NibblePass<TOps, TVec, N1, No, Overwrite>.MaxSources : 0;

    // Streaming stores need alignment; outputs whose misalignment differs from output 0's store normally.
    private static uint AlignedOutputs(nint* outputs, int rows, nuint at)
    {
        uint mask = 0;
        for (int r = 0; r < rows; r++)
            if ((((nuint)outputs[r] + at) & (TOps.Width - 1)) == 0) mask |= 1u << r;
        return mask;
    }

    private static void Pass(int k, int rows, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream, bool overwrite)
    {
        switch (k)
        {
            case 1: Pass<N1>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 2: Pass<N2>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 3: Pass<N3>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 4: Pass<N4>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 5: Pass<N5>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 6: Pass<N6>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 7: Pass<N7>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 8: Pass<N8>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 9: Pass<N9>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 10: Pass<N10>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 11: Pass<N11>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            default: Pass<N12>(rows, xorRow, o, s, m, stride, start, end, stream, overwrite); break;
        }
    }

    private static void Pass<TK>(int rows, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream, bool overwrite)
        where TK : struct, ICount
    {
        switch (rows)
        {
            case 1: Pass<TK, N1>(xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 2: Pass<TK, N2>(xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            case 3: Pass<TK, N3>(xorRow, o, s, m, stride, start, end, stream, overwrite); break;
            default: Pass<TK, N4>(xorRow, o, s, m, stride, start, end, stream, overwrite); break;
        }
    }

    // A lone all-ones row never gets here (it is XorMany), so R = 1 needs no XOR-row variant: multiplying by 1 is exact.
    private static void Pass<TK, TR>(bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream, bool overwrite)
        where TK : struct, ICount
        where TR : struct, ICount
    {
        if (!overwrite) Pass<TK, TR, Accumulate>(xorRow, o, s, m, stride, start, end, 0);
        else if (stream == 0) Pass<TK, TR, Overwrite>(xorRow, o, s, m, stride, start, end, 0);
        else if (stream == (1u << SizeOf<TR>()) - 1) Pass<TK, TR, StreamAll>(xorRow, o, s, m, stride, start, end, stream);
        else Pass<TK, TR, StreamSome>(xorRow, o, s, m, stride, start, end, stream);
    }

    private static void WidePass(int k, int rows, bool xorRow, nint* o, nint* s, byte* m, nuint start, nuint end, uint stream, bool overwrite)
    {
        switch (rows)
        {
            case 1: NibblePass<N1>(k, xorRow, o, s, m, (nuint)k, start, end, stream, overwrite); break;
            case 2: NibblePass<N2>(k, xorRow, o, s, m, (nuint)k, start, end, stream, overwrite); break;
            case 3: NibblePass<N3>(k, xorRow, o, s, m, (nuint)k, start, end, stream, overwrite); break;
            default: NibblePass<N4>(k, xorRow, o, s, m, (nuint)k, start, end, stream, overwrite); break;
        }
    }

    private static void NibblePass<TR>(int k, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream, bool overwrite)
        where TR : struct, ICount
    {
        if (!overwrite) NibblePass<TR, Accumulate>(k, xorRow, o, s, m, stride, start, end, 0);
        else if (stream == 0) NibblePass<TR, Overwrite>(k, xorRow, o, s, m, stride, start, end, 0);
        else if (stream == (1u << SizeOf<TR>()) - 1) NibblePass<TR, StreamAll>(k, xorRow, o, s, m, stride, start, end, stream);
        else NibblePass<TR, StreamSome>(k, xorRow, o, s, m, stride, start, end, stream);
    }

    private static void NibblePass<TR, TStore>(int k, bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream)
        where TR : struct, ICount
        where TStore : struct, IStoreMode
    {
        if (xorRow && SizeOf<TR>() > 1) NibblePass<TOps, TVec, TR, Yes, TStore>.Run(k, o, s, m, stride, start, end, stream);
        else NibblePass<TOps, TVec, TR, No, TStore>.Run(k, o, s, m, stride, start, end, stream);
    }

    private static void Pass<TK, TR, TStore>(bool xorRow, nint* o, nint* s, byte* m, nuint stride, nuint start, nuint end, uint stream)
        where TK : struct, ICount
        where TR : struct, ICount
        where TStore : struct, IStoreMode
    {
        if (xorRow && SizeOf<TR>() > 1) GfPass<TOps, TVec, TFamily, TK, TR, Yes, TStore>.Run(o, s, m, stride, start, end, stream);
        else GfPass<TOps, TVec, TFamily, TK, TR, No, TStore>.Run(o, s, m, stride, start, end, stream);
    }
}
