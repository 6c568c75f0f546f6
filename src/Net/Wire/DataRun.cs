using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;
using BitFusion.Net.Replication;

namespace BitFusion.Net.Wire;

/// <summary>
/// <c>AbcastData: sender i32 | (seq i64 | timestamp i64 | epoch i64 | groups u64 | stableSeq i64 | write)+</c>: one
/// sender's multicasts to one data node, in the order it sent them. Items differ in length (an append-many write
/// carries its words), and each says its own: the write's <c>bits</c> field gives its word count. A run of one is the
/// single data message. Read checks every item before any is handed out, so a malformed run is refused whole and
/// nothing of it is copied.
/// </summary>
internal readonly ref struct DataRun
{
    public const int HeadBytes = 4, ItemHeadBytes = 40 + WriteOp.HeadBytes;
    private readonly ReadOnlySpan<byte> _items;
    private readonly int _maxFrameBytes;

    private DataRun(int sender, int count, ReadOnlySpan<byte> items, int maxFrameBytes)
    {
        Sender = sender;
        Count = count;
        _items = items;
        _maxFrameBytes = maxFrameBytes;
    }

    public int Sender { get; }

    public int Count { get; }

    public static DataRun Read(ReadOnlySpan<byte> payload, int maxFrameBytes)
    {
        if (payload.Length < HeadBytes + ItemHeadBytes)
            throw new ProtocolException($"A run of data takes a {HeadBytes}-byte head and at least one item of {ItemHeadBytes} bytes or more; this one has {payload.Length} bytes.");
        var r = new PayloadReader(payload);
        int sender = r.I32();
        if (sender < 0) throw new ProtocolException($"A run of data names sender {sender}.");
        int count = 0;
        while (r.Remaining > 0)
        {
            count++;
            if (r.Remaining < ItemHeadBytes)
                throw new ProtocolException($"Data item {count} of the run is cut off: {r.Remaining} bytes left, an item takes at least {ItemHeadBytes}.");
            Item(ref r, sender, count, maxFrameBytes, out _);
        }
        return new DataRun(sender, count, payload[HeadBytes..], maxFrameBytes);
    }

    /// <summary>The run's messages in order; each owns its payload (a run's words in a pooled array) once handed out.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>One item, checked; its write's words, if any, are left in <paramref name="words"/>.</summary>
    private static DataMessage<WriteOp> Item(ref PayloadReader r, int sender, int item, int maxFrameBytes, out ReadOnlySpan<ulong> words)
    {
        var id = new MessageId(sender, r.I64());
        long timestamp = r.I64(), epoch = r.I64();
        var groups = new GroupSet(r.U64());
        long stable = r.I64();
        try
        {
            AbcastWire.CheckId(id);
            if (timestamp < 0 || epoch < 0) throw new ProtocolException($"Data {id} has a negative timestamp or epoch.");
            if (groups.IsEmpty) throw new ProtocolException($"Data {id} is addressed to no group.");
            WriteOp op = WriteOp.Parse(ref r, maxFrameBytes, out words);
            return new DataMessage<WriteOp>(id, timestamp, epoch, groups, stable, op);
        }
        catch (ProtocolException e) when (item > 1)
        {
            throw new ProtocolException($"Data item {item} of the run: {e.Message}");
        }
    }

    public ref struct Enumerator
    {
        private PayloadReader _reader;
        private readonly int _sender, _maxFrameBytes;
        private int _item;

        internal Enumerator(DataRun run)
        {
            _reader = new PayloadReader(run._items);
            (_sender, _maxFrameBytes) = (run.Sender, run._maxFrameBytes);
        }

        public DataMessage<WriteOp> Current { get; private set; }

        public bool MoveNext()
        {
            if (_reader.Remaining == 0) return false;
            DataMessage<WriteOp> m = Item(ref _reader, _sender, ++_item, _maxFrameBytes, out ReadOnlySpan<ulong> words);
            Current = m with { Payload = m.Payload.Owning(words) };
            return true;
        }
    }
}
