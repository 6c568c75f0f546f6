namespace BitFusion.Heap.Nettrace;

/// <summary>
/// Counts events the runtime dropped. Every capture thread numbers its events 1, 2, 3, … per session whether or
/// not they reach the stream, so a gap in a thread's numbers, or a sequence point naming a number beyond the
/// last one seen, is a count of lost events. A thread whose numbering restarts at 1 is a new OS thread that
/// reused the id, not a loss.
/// </summary>
public sealed class SequenceTracker
{
    private readonly Dictionary<long, int> _last = [];

    public long Lost { get; private set; }

    public void Observe(long captureThread, int sequence)
    {
        int last = _last.GetValueOrDefault(captureThread);
        if (sequence != 1 && sequence != unchecked(last + 1))
            Lost += (uint)(sequence - last - 1);
        _last[captureThread] = sequence;
    }

    public void SequencePoint(long captureThread, int sequence)
    {
        int last = _last.GetValueOrDefault(captureThread);
        if (sequence > last) Lost += (uint)(sequence - last);
        _last[captureThread] = sequence;
    }
}
