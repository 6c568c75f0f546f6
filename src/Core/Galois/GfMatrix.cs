namespace BitFusion.Core.Galois;

/// <summary>A small dense matrix over GF(2^8), row-major. Sizes here are at most 256 × 256.</summary>
public sealed class GfMatrix
{
    private readonly byte[] _cells;

    /// <summary>
    /// A zero matrix of <paramref name="rows"/> × <paramref name="columns"/>. Throws
    /// <see cref="ArgumentOutOfRangeException"/> for a negative size.
    /// </summary>
    public GfMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        _cells = new byte[rows * columns];
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>
    /// The cell at (<paramref name="row"/>, <paramref name="column"/>). Throws
    /// <see cref="ArgumentOutOfRangeException"/> outside the matrix. Not thread-safe for writes.
    /// </summary>
    public byte this[int row, int column]
    {
        get => _cells[Index(row, column)];
        set => _cells[Index(row, column)] = value;
    }

    /// <summary>Row-major cells, the layout the encode kernels take.</summary>
    public ReadOnlySpan<byte> Cells => _cells;

    /// <summary>Row <paramref name="row"/>'s cells, a view into the matrix (no copy).</summary>
    public ReadOnlySpan<byte> Row(int row) => _cells.AsSpan(row * Columns, Columns);

    private int Index(int row, int column)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be below {Rows}.");
        if ((uint)column >= (uint)Columns) throw new ArgumentOutOfRangeException(nameof(column), column, $"Column must be below {Columns}.");
        return row * Columns + column;
    }

    /// <summary>The <paramref name="size"/> × <paramref name="size"/> identity matrix.</summary>
    public static GfMatrix Identity(int size)
    {
        var m = new GfMatrix(size, size);
        for (int i = 0; i < size; i++) m[i, i] = 1;
        return m;
    }

    /// <summary>
    /// This matrix times <paramref name="other"/>, as a new matrix. Throws <see cref="ArgumentException"/> when the
    /// shapes do not chain.
    /// </summary>
    public GfMatrix Multiply(GfMatrix other)
    {
        if (Columns != other.Rows)
            throw new ArgumentException($"Cannot multiply {Rows}×{Columns} by {other.Rows}×{other.Columns}.", nameof(other));
        var result = new GfMatrix(Rows, other.Columns);
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < other.Columns; c++)
            {
                byte sum = 0;
                for (int k = 0; k < Columns; k++) sum ^= Gf256.Mul(this[r, k], other[k, c]);
                result[r, c] = sum;
            }
        return result;
    }

    /// <summary>Gauss–Jordan inversion. Throws <see cref="InvalidOperationException"/> if the matrix is singular.</summary>
    public GfMatrix Invert()
    {
        if (Rows != Columns) throw new InvalidOperationException($"Only square matrices invert; this one is {Rows}×{Columns}.");
        int n = Rows;
        var work = new GfMatrix(n, n);
        _cells.CopyTo(work._cells, 0);
        var inverse = Identity(n);
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            while (pivot < n && work[pivot, col] == 0) pivot++;
            if (pivot == n) throw new InvalidOperationException("The matrix is singular over GF(2^8).");
            if (pivot != col)
            {
                work.SwapRows(pivot, col);
                inverse.SwapRows(pivot, col);
            }
            byte scale = Gf256.Inv(work[col, col]);
            work.ScaleRow(col, scale);
            inverse.ScaleRow(col, scale);
            for (int r = 0; r < n; r++)
            {
                byte factor = work[r, col];
                if (r == col || factor == 0) continue;
                work.AddScaledRow(r, col, factor);
                inverse.AddScaledRow(r, col, factor);
            }
        }
        return inverse;
    }

    private void SwapRows(int a, int b)
    {
        Span<byte> ra = _cells.AsSpan(a * Columns, Columns), rb = _cells.AsSpan(b * Columns, Columns);
        for (int i = 0; i < Columns; i++) (ra[i], rb[i]) = (rb[i], ra[i]);
    }

    private void ScaleRow(int row, byte factor)
    {
        Span<byte> r = _cells.AsSpan(row * Columns, Columns);
        for (int i = 0; i < r.Length; i++) r[i] = Gf256.Mul(r[i], factor);
    }

    private void AddScaledRow(int target, int source, byte factor)
    {
        Span<byte> t = _cells.AsSpan(target * Columns, Columns);
        ReadOnlySpan<byte> s = _cells.AsSpan(source * Columns, Columns);
        for (int i = 0; i < t.Length; i++) t[i] ^= Gf256.Mul(s[i], factor);
    }
}
