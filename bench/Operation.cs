namespace BitFusion.Bench;

/// <summary>Runs one contender's version of an operation over a set of buffers.</summary>
internal unsafe interface IKernelRun
{
    /// <summary>True when the outputs are only written (ISA-L, our write-only variants), false when XORed into.</summary>
    bool Overwrites { get; }

    void Run(nint* sources, nint* outputs, nuint length);
}

/// <summary>
/// One kernel operation at a fixed shape (sources in, outputs updated) and how each contender runs it. Our
/// accumulating kernels and the write-only ones (and ISA-L) agree when the accumulators start at zero, which is
/// how results are compared.
/// </summary>
internal abstract class Operation
{
    public abstract string Name { get; }
    public abstract int Sources { get; }
    public abstract int Outputs { get; }

    /// <summary>Every form of every tier of ours that this CPU runs, then ISA-L if it is installed and has this operation.</summary>
    public abstract IEnumerable<string> Contenders { get; }

    public abstract IKernelRun Create(string contender);

    /// <summary>Some ISA-L entry points refuse short lengths; everything of ours takes any length.</summary>
    public virtual bool Accepts(string contender, nuint length) => true;
}
