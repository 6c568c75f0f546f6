namespace BitFusion.Core.Kernels;

/// <summary>
/// An encode matrix with the free work taken out: sources whose column is all zero and outputs whose row is all
/// zero are dropped, and the first row that is all ones (the parity row every fusion code has) is put first so
/// the kernels can XOR it instead of multiplying.
/// </summary>
internal readonly struct EncodePlan
{
    public int Rows { get; private init; }
    public int Sources { get; private init; }
    public bool XorRow { get; private init; }

    /// <summary>
    /// Writes the kept outputs then the kept sources into <paramref name="pointers"/> (room for all of both) and
    /// the kept cells, Rows × Sources row-major, into <paramref name="cells"/> (room for the whole matrix).
    /// </summary>
    public static EncodePlan Build(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, Span<nint> pointers, Span<byte> cells)
    {
        int k = sources.Length, rows = outputs.Length;
        if (!matrix.Contains((byte)0)) return BuildDense(matrix, sources, outputs, pointers, cells);

        // Kept column indices sit past the output slots until the source pointers replace them.
        Span<nint> columns = pointers.Slice(rows, k);
        int kept = 0;
        for (int s = 0; s < k; s++)
            for (int r = 0; r < rows; r++)
                if (matrix[r * k + s] != 0)
                {
                    columns[kept++] = s;
                    break;
                }
        if (kept == 0) return default;

        int ones = -1;
        for (int r = 0; r < rows && ones < 0; r++)
        {
            ones = r;
            for (int j = 0; j < kept; j++)
                if (matrix[r * k + (int)columns[j]] != 1)
                {
                    ones = -1;
                    break;
                }
        }

        int emitted = 0;
        if (ones >= 0)
        {
            Gather(matrix.Slice(ones * k, k), columns[..kept], cells[..kept]);
            pointers[emitted++] = outputs[ones];
        }
        for (int r = 0; r < rows; r++)
        {
            if (r == ones || !matrix.Slice(r * k, k).ContainsAnyExcept((byte)0)) continue;
            Gather(matrix.Slice(r * k, k), columns[..kept], cells.Slice(emitted * kept, kept));
            pointers[emitted++] = outputs[r];
        }

        // Ascending, each slot is written only after the column index it replaces has been read.
        for (int j = 0; j < kept; j++) pointers[emitted + j] = sources[(int)columns[j]];
        return new EncodePlan { Rows = emitted, Sources = kept, XorRow = ones >= 0 };
    }

    // A matrix without a zero cell (every fusion code's) keeps every row and column: only the XOR row is looked
    // for, with vector scans instead of the cell-by-cell walk, which took a third of a 5+2 call's fixed cost.
    private static EncodePlan BuildDense(ReadOnlySpan<byte> matrix, ReadOnlySpan<nint> sources, ReadOnlySpan<nint> outputs, Span<nint> pointers, Span<byte> cells)
    {
        int k = sources.Length, rows = outputs.Length;
        int ones = -1;
        for (int r = 0; r < rows && ones < 0; r++)
            if (!matrix.Slice(r * k, k).ContainsAnyExcept((byte)1)) ones = r;
        int emitted = 0;
        if (ones >= 0)
        {
            matrix.Slice(ones * k, k).CopyTo(cells);
            pointers[emitted++] = outputs[ones];
        }
        for (int r = 0; r < rows; r++)
        {
            if (r == ones) continue;
            matrix.Slice(r * k, k).CopyTo(cells.Slice(emitted * k, k));
            pointers[emitted++] = outputs[r];
        }
        sources.CopyTo(pointers[emitted..]);
        return new EncodePlan { Rows = rows, Sources = k, XorRow = ones >= 0 };
    }

    private static void Gather(ReadOnlySpan<byte> row, ReadOnlySpan<nint> columns, Span<byte> cells)
    {
        for (int j = 0; j < columns.Length; j++) cells[j] = row[(int)columns[j]];
    }
}
