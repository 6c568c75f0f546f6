using BitFusion.Heap.Nettrace;

namespace BitFusion.Tools.Tests;

public class NettraceReaderTests
{
    private sealed class Recorder : INettraceListener
    {
        public List<(string Provider, int EventId, long Thread, int Sequence, long Time, byte[] Payload)> Events { get; } = [];
        public int PointerSize { get; private set; }

        public void OnTraceStart(int pointerSize, int processId, long timestampFrequency) => PointerSize = pointerSize;

        public void OnEvent(in EventHeader header, EventMetadata metadata, ReadOnlySpan<byte> payload) =>
            Events.Add((metadata.ProviderName, metadata.EventId, header.CaptureThreadId, header.SequenceNumber, header.TimeStamp, payload.ToArray()));
    }

    private static (NettraceReader Reader, Recorder Recorder) Read(byte[] stream)
    {
        var recorder = new Recorder();
        var reader = new NettraceReader(new MemoryStream(stream), recorder);
        reader.ReadToEnd();
        return (reader, recorder);
    }

    [Fact]
    public void Decodes_compressed_headers_metadata_and_payloads()
    {
        byte[] stream = new NettraceWriter(pointerSize: 8)
            .Metadata(1, "Microsoft-Windows-DotNETRuntime", 18)
            .Metadata(2, "Other", 7)
            .Events((1, 100, 1, 1000, [1, 2, 3]), (2, 100, 2, 1500, []), (1, 300, 1, 1400, [9]))
            .Events((1, 100, 3, 2000, [4]))
            .SequencePoint((100, 3), (300, 1))
            .Finish();
        (NettraceReader reader, Recorder r) = Read(stream);
        Assert.Equal(8, r.PointerSize);
        Assert.Equal(4242, reader.ProcessId);
        Assert.Equal(0, reader.LostEvents);
        Assert.Equal(4, r.Events.Count);
        Assert.Equal(("Microsoft-Windows-DotNETRuntime", 18, 100L, 1, 1000L), (r.Events[0].Provider, r.Events[0].EventId, r.Events[0].Thread, r.Events[0].Sequence, r.Events[0].Time));
        Assert.Equal([1, 2, 3], r.Events[0].Payload);
        Assert.Equal(("Other", 7, 1500L), (r.Events[1].Provider, r.Events[1].EventId, r.Events[1].Time));
        Assert.Empty(r.Events[1].Payload);
        Assert.Equal((300L, 1, 1400L), (r.Events[2].Thread, r.Events[2].Sequence, r.Events[2].Time));
        Assert.Equal((3, 2000L), (r.Events[3].Sequence, r.Events[3].Time));
    }

    [Fact]
    public void Counts_a_gap_in_a_threads_sequence_numbers_as_lost_events()
    {
        byte[] stream = new NettraceWriter()
            .Metadata(1, "P", 1)
            .Events((1, 7, 1, 10, []), (1, 7, 2, 11, []), (1, 7, 6, 12, []))
            .Finish();
        Assert.Equal(3, Read(stream).Reader.LostEvents);
    }

    [Fact]
    public void Counts_events_a_sequence_point_says_were_written_but_never_arrived()
    {
        byte[] stream = new NettraceWriter()
            .Metadata(1, "P", 1)
            .Events((1, 7, 1, 10, []))
            .SequencePoint((7, 4), (8, 2))
            .Finish();
        Assert.Equal(3 + 2, Read(stream).Reader.LostEvents);
    }

    [Fact]
    public void A_stream_that_stops_early_is_reported_as_truncated()
    {
        byte[] whole = new NettraceWriter().Metadata(1, "P", 1).Events((1, 7, 1, 10, [1, 2, 3, 4])).Finish(end: false);
        for (int cut = 0; cut <= whole.Length; cut += 7)
        {
            var e = Assert.Throws<NettraceFormatException>(() => Read(whole[..cut]));
            Assert.True(e.Truncated, $"cut at {cut}: {e.Message}");
        }
    }

    [Fact]
    public void Rejects_a_stream_that_is_not_nettrace()
    {
        var e = Assert.Throws<NettraceFormatException>(() => Read("NotTrace and more bytes than that"u8.ToArray()));
        Assert.False(e.Truncated);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Rejects_an_event_that_names_undefined_metadata()
    {
        byte[] stream = new NettraceWriter().Events((5, 7, 1, 10, [])).Finish();
        Assert.Contains("undefined metadata 5", Assert.Throws<NettraceFormatException>(() => Read(stream)).Message);
    }
}
