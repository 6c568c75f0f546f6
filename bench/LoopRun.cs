namespace BitFusion.Bench;

/// <summary>
/// <c>--loop CODE CONTENDER [KIB [CALLS]]</c>: one contender's encode of one code, called over and over on the same
/// buffers (in cache at the default 16 KiB; rotating sets from 1024 KiB up, as the benchmarks do) with no timing,
/// for <c>perf stat -e cycles:u,instructions:u</c>. The process's own cycles are far less sensitive to other jobs
/// than wall time; the line printed at the end gives the bytes to divide them by. Start-up and the JIT are in the
/// count too, so compare runs of the same length, or subtract a run of a few calls.
/// </summary>
internal static unsafe class LoopRun
{
    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        if (args.Count < 2)
        {
            output.WriteLine("--loop needs CODE CONTENDER [KIB [CALLS]], e.g. --loop 5+2 Gfni512-into 16 200000 (contenders: Read, a tier, a tier-into, ISA-L).");
            return 2;
        }
        string code = args[0], contender = args[1];
        int kib = args.Count > 2 ? int.Parse(args[2]) : KernelBenchmark.InCacheKiB;
        long calls = args.Count > 3 ? long.Parse(args[3]) : 200_000;
        MatrixOperation op = EncodeBenchmarks.Create(code);
        nuint length = (nuint)kib * 1024;
        using var pool = new BufferPool(op.Sources, op.Outputs, length, KernelBenchmark.SetCount(length, op.Sources + op.Outputs), seed: 0x5EED);
        IKernelRun run = contender == Contender.Read ? new StreamReadRun(op.Sources) : op.Create(contender);
        int next = 0;
        for (long call = 0; call < calls; call++)
        {
            nint* pointers = pool.Pointers(next);
            next = next + 1 == pool.Sets ? 0 : next + 1;
            run.Run(pointers, pointers + pool.Sources, length);
        }
        double sourceBytes = (double)calls * op.Sources * (double)length;
        output.WriteLine($"{code} {contender} {kib} KiB x {calls} calls: {sourceBytes:F0} source bytes, {sourceBytes * (op.Sources + op.Outputs) / op.Sources:F0} bytes of all buffers");
        return 0;
    }
}
