namespace BitFusion.Heap.Nettrace;

/// <summary>The stream is not a nettrace stream this reader understands, or it is cut or corrupt.</summary>
public sealed class NettraceFormatException(string message, bool truncated = false) : Exception(message)
{
    /// <summary>True when the stream simply ended early, as it does when the traced process exits.</summary>
    public bool Truncated { get; } = truncated;
}
