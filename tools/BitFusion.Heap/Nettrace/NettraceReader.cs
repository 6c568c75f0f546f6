using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace BitFusion.Heap.Nettrace;

/// <summary>
/// A streaming reader of the nettrace format (version 4/5, what EventPipe writes to a diagnostics session):
/// the "Nettrace" magic, the FastSerialization header, a Trace object, then EventBlock, MetadataBlock,
/// StackBlock and SPBlock objects until a NullReference tag. It decodes event headers, keeps the metadata
/// table, counts events the runtime dropped (sequence-number gaps per capture thread and sequence points),
/// and hands each event to a listener. Stacks are skipped: a heap dump does not ask for them.
/// </summary>
public sealed class NettraceReader
{
    private const byte NullReferenceTag = 1;
    private const byte BeginPrivateObjectTag = 5;
    private const byte EndObjectTag = 6;
    private const int MaxBlockBytes = 64 << 20;

    private readonly Stream _stream;
    private readonly INettraceListener _listener;
    private readonly Dictionary<int, EventMetadata> _metadata = [];
    private readonly SequenceTracker _sequences = new();
    private readonly byte[] _small = new byte[64];
    private byte[] _block = ArrayPool<byte>.Shared.Rent(64 << 10);
    private long _position;

    public NettraceReader(Stream stream, INettraceListener listener)
    {
        _stream = stream;
        _listener = listener;
    }

    public int PointerSize { get; private set; }
    public int ProcessId { get; private set; }
    public long QpcFrequency { get; private set; }

    /// <summary>Events the runtime assigned a sequence number to but never wrote (its buffers were full).</summary>
    public long LostEvents => _sequences.Lost;

    /// <summary>Reads the whole stream. Throws <see cref="NettraceFormatException"/> if it is malformed or ends early.</summary>
    public void ReadToEnd()
    {
        try
        {
            ReadPreamble();
            while (true)
            {
                byte tag = ReadByte();
                if (tag == NullReferenceTag) break;
                if (tag != BeginPrivateObjectTag) throw Malformed($"expected an object, found tag {tag}");
                ReadObject();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_block);
            _block = [];
        }
    }

    private void ReadPreamble()
    {
        ReadExactly(_small.AsSpan(0, 8));
        if (!_small.AsSpan(0, 8).SequenceEqual("Nettrace"u8)) throw Malformed("the stream does not start with the Nettrace magic");
        if (ReadString() != "!FastSerialization.1") throw Malformed("unknown serialization header");
    }

    private void ReadObject()
    {
        if (ReadByte() != BeginPrivateObjectTag || ReadByte() != NullReferenceTag) throw Malformed("bad object type header");
        int version = ReadInt32();
        int minReaderVersion = ReadInt32();
        string name = ReadString();
        if (ReadByte() != EndObjectTag) throw Malformed("unterminated object type");
        switch (name)
        {
            case "Trace":
                if (minReaderVersion > 5)
                    throw new NettraceFormatException($"nettrace version {version} needs a reader of version {minReaderVersion}; this reader understands up to 5.");
                ReadTrace();
                break;
            case "EventBlock":
            case "MetadataBlock":
                ParseEventBlock(ReadBlock(), isMetadata: name == "MetadataBlock");
                break;
            case "SPBlock":
                ParseSequencePoint(ReadBlock());
                break;
            case "StackBlock":
                ReadBlock();
                break;
            default:
                throw Malformed($"unknown object type '{name}'");
        }
        if (ReadByte() != EndObjectTag) throw Malformed($"unterminated {name} object");
    }

    private void ReadTrace()
    {
        Span<byte> t = _small.AsSpan(0, 48);
        ReadExactly(t);
        QpcFrequency = BinaryPrimitives.ReadInt64LittleEndian(t[24..]);
        PointerSize = BinaryPrimitives.ReadInt32LittleEndian(t[32..]);
        ProcessId = BinaryPrimitives.ReadInt32LittleEndian(t[36..]);
        if (PointerSize is not (4 or 8)) throw Malformed($"pointer size {PointerSize}");
        _listener.OnTraceStart(PointerSize, ProcessId, QpcFrequency);
    }

    /// <summary>Reads a block's size, its alignment padding and its bytes; the span is valid until the next block.</summary>
    private ReadOnlySpan<byte> ReadBlock()
    {
        int size = ReadInt32();
        if ((uint)size > MaxBlockBytes) throw Malformed($"block of {size} bytes");
        int padding = (int)(-_position & 3);
        if (padding > 0) ReadExactly(_small.AsSpan(0, padding));
        if (_block.Length < size)
        {
            ArrayPool<byte>.Shared.Return(_block);
            _block = ArrayPool<byte>.Shared.Rent(size);
        }
        ReadExactly(_block.AsSpan(0, size));
        return _block.AsSpan(0, size);
    }

    private void ParseEventBlock(ReadOnlySpan<byte> block, bool isMetadata)
    {
        if (block.Length < 4) throw Malformed("event block without a header");
        int headerSize = BinaryPrimitives.ReadInt16LittleEndian(block);
        bool compressed = (BinaryPrimitives.ReadInt16LittleEndian(block[2..]) & 1) != 0;
        if (headerSize < 4 || headerSize > block.Length) throw Malformed($"event block header of {headerSize} bytes");
        var cursor = new BlockCursor(block, headerSize);
        EventHeader header = default;
        while (!cursor.AtEnd)
        {
            if (compressed) ReadCompressedHeader(ref cursor, ref header);
            else ReadUncompressedHeader(ref cursor, ref header);
            ReadOnlySpan<byte> payload = cursor.Take(header.PayloadSize);
            if (!compressed) cursor.AlignTo4();
            if (isMetadata) AddMetadata(payload);
            else Dispatch(header, payload);
        }
    }

    private static void ReadCompressedHeader(ref BlockCursor c, ref EventHeader h)
    {
        byte flags = c.Byte();
        if ((flags & 1) != 0) h.MetadataId = (int)c.VarUInt32();
        if ((flags & 2) != 0)
        {
            h.SequenceNumber += (int)c.VarUInt32();
            h.CaptureThreadId = (long)c.VarUInt64();
            h.ProcessorNumber = (int)c.VarUInt32();
        }
        if (h.MetadataId != 0) h.SequenceNumber++;
        if ((flags & 4) != 0) h.ThreadId = (long)c.VarUInt64();
        if ((flags & 8) != 0) h.StackId = (int)c.VarUInt32();
        h.TimeStamp += (long)c.VarUInt64();
        if ((flags & 16) != 0) c.Take(16);
        if ((flags & 32) != 0) c.Take(16);
        if ((flags & 128) != 0) h.PayloadSize = (int)c.VarUInt32();
    }

    private static void ReadUncompressedHeader(ref BlockCursor c, ref EventHeader h)
    {
        c.Int32();
        h.MetadataId = c.Int32() & 0x7FFF_FFFF;
        h.SequenceNumber = c.Int32();
        h.ThreadId = c.Int64();
        h.CaptureThreadId = c.Int64();
        h.ProcessorNumber = c.Int32();
        h.StackId = c.Int32();
        h.TimeStamp = c.Int64();
        c.Take(32);
        h.PayloadSize = c.Int32();
    }

    private void AddMetadata(ReadOnlySpan<byte> payload)
    {
        var c = new BlockCursor(payload, 0);
        int id = c.Int32();
        string provider = c.Utf16String();
        int eventId = c.Int32();
        string eventName = c.Utf16String();
        c.Int64();
        int version = c.Int32();
        _metadata[id] = new EventMetadata(id, provider, eventId, eventName, version);
    }

    private void Dispatch(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        _sequences.Observe(header.CaptureThreadId, header.SequenceNumber);
        if (!_metadata.TryGetValue(header.MetadataId, out EventMetadata? metadata))
            throw Malformed($"event refers to undefined metadata {header.MetadataId}");
        _listener.OnEvent(header, metadata, payload);
    }

    private void ParseSequencePoint(ReadOnlySpan<byte> block)
    {
        var c = new BlockCursor(block, 0);
        c.Int64();
        int threads = c.Int32();
        for (int i = 0; i < threads; i++)
        {
            long thread = c.Int64();
            _sequences.SequencePoint(thread, c.Int32());
        }
    }

    private byte ReadByte()
    {
        ReadExactly(_small.AsSpan(0, 1));
        return _small[0];
    }

    private int ReadInt32()
    {
        ReadExactly(_small.AsSpan(0, 4));
        return BinaryPrimitives.ReadInt32LittleEndian(_small);
    }

    private string ReadString()
    {
        int length = ReadInt32();
        if ((uint)length > 1024) throw Malformed($"string of {length} bytes");
        byte[] bytes = new byte[length];
        ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    private void ReadExactly(Span<byte> target)
    {
        int done = 0;
        while (done < target.Length)
        {
            int n = _stream.Read(target[done..]);
            if (n == 0) throw new NettraceFormatException("the event stream ended before the end of the trace.", truncated: true);
            done += n;
        }
        _position += done;
    }

    private static NettraceFormatException Malformed(string what) => new($"malformed nettrace stream: {what}.");
}
