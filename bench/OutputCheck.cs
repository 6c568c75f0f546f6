namespace BitFusion.Bench;

/// <summary>
/// Runs two contenders on the same inputs and says where their outputs first differ. Accumulating contenders
/// start from zeroed outputs; overwriting ones from garbage, so one that accumulated by mistake shows.
/// </summary>
internal static unsafe class OutputCheck
{
    private const byte Garbage = 0xA5;

    /// <summary>Null when every output is identical; otherwise the first differing output and byte.</summary>
    public static string? Compare(BufferPool pool, IKernelRun expected, IKernelRun actual)
    {
        byte[][] want = OutputsOf(pool, expected);
        byte[][] got = OutputsOf(pool, actual);
        for (int r = 0; r < want.Length; r++)
        {
            int at = want[r].AsSpan().CommonPrefixLength(got[r]);
            if (at < want[r].Length)
                return $"length {pool.Length}, output {r}, byte {at}: 0x{got[r][at]:X2} instead of 0x{want[r][at]:X2}";
        }
        return null;
    }

    private static byte[][] OutputsOf(BufferPool pool, IKernelRun run)
    {
        pool.FillOutputs(0, run.Overwrites ? Garbage : (byte)0);
        nint* pointers = pool.Pointers(0);
        run.Run(pointers, pointers + pool.Sources, pool.Length);
        var outputs = new byte[pool.Outputs][];
        for (int r = 0; r < outputs.Length; r++)
            outputs[r] = new ReadOnlySpan<byte>((void*)pointers[pool.Sources + r], checked((int)pool.Length)).ToArray();
        return outputs;
    }
}
