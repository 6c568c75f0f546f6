namespace BitFusion.Heap;

/// <summary>Why a heap profile could not be taken; the command line maps each to a clear message and exit code.</summary>
public enum HeapProfilerError
{
    ProcessNotFound,
    NotDotNetProcess,
    PermissionDenied,
    ProcessExited,
    LossyDump,
    NoHeapWalk,
    Timeout,
    Unsupported,
}

/// <summary>A heap profile failed for a reason the user can act on; <see cref="Exception.Message"/> says which.</summary>
public sealed class HeapProfilerException(HeapProfilerError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public HeapProfilerError Error { get; } = error;
}
