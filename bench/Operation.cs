namespace BitFusion.Bench;

/// <summary>Runs one contender's version of an operation over a set of buffers.</summary>
internal unsafe interface IKernelRun
{
    void Run(nint* sources, nint* outputs, nuint length);
}

/// <summary>
/// One kernel operation at a fixed shape (sources in, outputs updated) and how each contender runs it. Our
/// kernels XOR into the outputs while ISA-L overwrites them, so results are compared on zeroed outputs.
/// </summary>
internal abstract class Operation
{
    public abstract string Name { get; }
    public abstract int Sources { get; }
    public abstract int Outputs { get; }

    /// <summary>Every tier of ours that this CPU runs, then ISA-L if it is installed and has this operation.</summary>
    public abstract IEnumerable<string> Contenders { get; }

    public abstract IKernelRun Create(string contender);

    /// <summary>Some ISA-L entry points refuse short lengths; everything of ours takes any length.</summary>
    public virtual bool Accepts(string contender, nuint length) => true;
}
