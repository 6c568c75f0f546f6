namespace BitFusion.Heap.Nettrace;

/// <summary>The decoded header of one event blob; fields a heap dump has no use for are read and dropped.</summary>
public struct EventHeader
{
    public int MetadataId;
    public int SequenceNumber;
    public long CaptureThreadId;
    public int ProcessorNumber;
    public long ThreadId;
    public int StackId;
    public long TimeStamp;
    public int PayloadSize;
}
