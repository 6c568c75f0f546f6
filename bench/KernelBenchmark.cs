using BenchmarkDotNet.Attributes;

namespace BitFusion.Bench;

/// <summary>
/// What every kernel benchmark shares: the Impl and size parameters, the buffer pool, rotation through it, and
/// the check that the contender's output equals the reference's before anything is timed. One invocation is
/// one operation on one set of buffers, so BenchmarkDotNet's mean is the time per operation.
/// </summary>
public abstract unsafe class KernelBenchmark
{
    /// <summary>Per-source sizes: 16 KiB stays in L1/L2; 1 MiB and 64 MiB come from memory (see <see cref="SetCount"/>).</summary>
    public const int InCacheKiB = 16, MidKiB = 1024, LargeKiB = 64 * 1024;

    /// <summary>Out-of-cache sizes rotate over at least this much memory, far beyond the 32 MiB L3.</summary>
    private const long RotationBytes = 1L << 30;

    private BufferPool? _pool;
    private IKernelRun? _run;
    private int _next;

    [ParamsSource(nameof(Contenders), Priority = 10)]
    public string Impl { get; set; } = Contender.Read;

    [Params(InCacheKiB, MidKiB, LargeKiB, Priority = 5)]
    public int SizeKiB { get; set; }

    public abstract IEnumerable<string> Contenders { get; }

    /// <summary>
    /// Bytes read from the sources per operation of a case of <paramref name="benchmark"/> with the parameter values
    /// <paramref name="parameter"/> gives: the numerator of the GB/s column. Built from the values rather than by
    /// creating the benchmark and setting its properties by reflection, which trimming (native AOT) cannot follow.
    /// </summary>
    internal static long InputBytes(Type benchmark, Func<string, object> parameter)
    {
        Operation op = benchmark == typeof(EncodeBenchmarks) ? EncodeBenchmarks.Create((string)parameter(nameof(EncodeBenchmarks.Code)))
            : benchmark == typeof(DecodeBenchmarks) ? DecodeBenchmarks.Create((int)parameter(nameof(DecodeBenchmarks.Lost)))
            : benchmark == typeof(XorBenchmarks) ? new XorOperation((int)parameter(nameof(XorBenchmarks.Sources)))
            : benchmark == typeof(MulXorBenchmarks) ? new MulXorOperation(MulXorBenchmarks.Constant)
            : throw new ArgumentException($"{benchmark.Name} is not a kernel benchmark.", nameof(benchmark));
        return (long)(int)parameter(nameof(SizeKiB)) * 1024 * op.Sources;
    }

    private protected abstract Operation CreateOperation();

    [GlobalSetup]
    public void Setup()
    {
        Operation op = CreateOperation();
        nuint length = (nuint)SizeKiB * 1024;
        _pool = new BufferPool(op.Sources, op.Outputs, length, SetCount(length, op.Sources + op.Outputs), seed: 0x5EED);
        _run = Impl == Contender.Read ? new StreamReadRun(op.Sources) : op.Create(Impl);
        if (Impl != Contender.Read) Check(op);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool?.Dispose();
        _pool = null;
    }

    protected void Step()
    {
        BufferPool pool = _pool!;
        int set = _next;
        _next = set + 1 == pool.Sets ? 0 : set + 1;
        nint* pointers = pool.Pointers(set);
        _run!.Run(pointers, pointers + pool.Sources, pool.Length);
    }

    /// <summary>Sets a pool needs: one in cache, else enough to rotate over <see cref="RotationBytes"/>.</summary>
    internal static int SetCount(nuint length, int buffers)
    {
        if (length <= InCacheKiB * 1024) return 1;
        long perSet = (long)length * buffers;
        return (int)Math.Max(2, (RotationBytes + perSet - 1) / perSet);
    }

    /// <summary>
    /// Throws unless the contender's output on set 0 equals the reference's: ISA-L for our tiers when it is
    /// installed, otherwise (and for ISA-L itself) our scalar tier.
    /// </summary>
    private void Check(Operation op)
    {
        string reference = Impl != Contender.IsaL && op.Contenders.Contains(Contender.IsaL) ? Contender.IsaL : Contender.Scalar;
        if (reference == Impl) return;
        if (OutputCheck.Compare(_pool!, op.Create(reference), _run!) is string difference)
            throw new InvalidOperationException($"{op.Name}, {SizeKiB} KiB: {Impl} differs from {reference} at {difference}.");
    }
}
