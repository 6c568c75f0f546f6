namespace BitFusion.Heap.Nettrace;

/// <summary>Receives the events of a nettrace stream in stream order (which is not time order across threads).</summary>
public interface INettraceListener
{
    /// <summary>Called once, after the trace header and before any event.</summary>
    void OnTraceStart(int pointerSize, int processId, long timestampFrequency);

    /// <summary>The payload span is only valid during the call.</summary>
    void OnEvent(in EventHeader header, EventMetadata metadata, ReadOnlySpan<byte> payload);
}
