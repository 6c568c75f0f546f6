using System.Buffers;
using BitFusion.Core.Kernels;

namespace BitFusion.Core.Fusion;

/// <summary>
/// outputs[r] ^= Σ_s m[r, s] · sources[s] over word lists of different lengths. A source shorter than the
/// range contributes zeros past its end, so the range is cut at every distinct source length and each segment
/// runs one multi-source kernel call over the sources still present there.
/// </summary>
internal static unsafe class LinearCombiner
{
    public static void Combine(
        GfKernel kernel,
        ReadOnlySpan<byte> matrix,
        IReadOnlyList<ReadOnlyMemory<ulong>> sources,
        IReadOnlyList<Memory<ulong>> outputs,
        int wordCount)
    {
        int k = sources.Count, rows = outputs.Count;
        if (matrix.Length != k * rows)
            throw new ArgumentException($"Matrix has {matrix.Length} cells; {rows} × {k} expected.", nameof(matrix));
        for (int r = 0; r < rows; r++)
            if (outputs[r].Length < wordCount)
                throw new ArgumentException($"Output {r} holds {outputs[r].Length} words; {wordCount} needed.", nameof(outputs));
        if (k == 0 || rows == 0 || wordCount == 0) return;

        var handles = ArrayPool<MemoryHandle>.Shared.Rent(k + rows);
        Span<nint> sourcePtr = stackalloc nint[k];
        Span<nint> outputPtr = stackalloc nint[rows];
        Span<int> cuts = stackalloc int[k + 1];
        try
        {
            for (int s = 0; s < k; s++)
            {
                handles[s] = sources[s].Pin();
                sourcePtr[s] = (nint)handles[s].Pointer;
                cuts[s] = Math.Min(sources[s].Length, wordCount);
            }
            for (int r = 0; r < rows; r++)
            {
                handles[k + r] = outputs[r].Pin();
                outputPtr[r] = (nint)handles[k + r].Pointer;
            }
            cuts[k] = 0;
            cuts.Sort();

            Span<nint> activeSrc = stackalloc nint[k];
            Span<nint> activeOut = stackalloc nint[rows];
            Span<byte> activeMatrix = stackalloc byte[k * rows];
            for (int c = 0; c < k; c++)
            {
                int lo = cuts[c], hi = cuts[c + 1];
                if (hi == lo) continue;
                int active = 0;
                for (int s = 0; s < k; s++)
                {
                    if (Math.Min(sources[s].Length, wordCount) < hi) continue;
                    activeSrc[active] = sourcePtr[s] + lo * sizeof(ulong);
                    for (int r = 0; r < rows; r++) activeMatrix[r * k + active] = matrix[r * k + s];
                    active++;
                }
                for (int r = 0; r < rows; r++) activeOut[r] = outputPtr[r] + lo * sizeof(ulong);
                Span<byte> m = activeMatrix[..(rows * k)];
                if (active != k) Compact(m, rows, k, active);
                kernel.Encode(m[..(rows * active)], activeSrc[..active], activeOut, (nuint)(hi - lo) * sizeof(ulong));
            }
        }
        finally
        {
            for (int i = 0; i < k + rows; i++) handles[i].Dispose();
            ArrayPool<MemoryHandle>.Shared.Return(handles, clearArray: true);
        }
    }

    // Rows were written with stride k; the kernel wants stride `active`.
    private static void Compact(Span<byte> m, int rows, int k, int active)
    {
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < active; s++)
                m[r * active + s] = m[r * k + s];
    }
}
