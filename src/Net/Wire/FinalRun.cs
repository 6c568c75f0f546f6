using System.Buffers.Binary;
using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// <c>AbcastFinal: sender i32 | epoch i64 | (seq i64 | timestamp i64 | stableSeq i64)+</c>: final timestamps of one
/// sender's messages, all sent in one view, in the order it decided them. Each item is one <see cref="FinalMessage"/>.
/// </summary>
internal readonly ref struct FinalRun
{
    public const int HeadBytes = 12, ItemBytes = 24;
    private readonly ReadOnlySpan<byte> _items;

    private FinalRun(int sender, long epoch, ReadOnlySpan<byte> items)
    {
        Sender = sender;
        Epoch = epoch;
        _items = items;
    }

    public int Sender { get; }

    public long Epoch { get; }

    public int Count => _items.Length / ItemBytes;

    public FinalMessage this[int i]
    {
        get
        {
            ReadOnlySpan<byte> item = _items.Slice(i * ItemBytes, ItemBytes);
            return new FinalMessage(new MessageId(Sender, BinaryPrimitives.ReadInt64LittleEndian(item)),
                BinaryPrimitives.ReadInt64LittleEndian(item[8..]), Epoch, BinaryPrimitives.ReadInt64LittleEndian(item[16..]));
        }
    }

    public static FinalRun Read(ReadOnlySpan<byte> payload)
    {
        int sender = RunShape.Sender(payload, "final", HeadBytes, ItemBytes);
        long epoch = BinaryPrimitives.ReadInt64LittleEndian(payload[4..]);
        if (epoch < 0) throw new ProtocolException($"A run of finals of sender {sender} has negative epoch {epoch}.");
        var run = new FinalRun(sender, epoch, payload[HeadBytes..]);
        for (int i = 0; i < run.Count; i++)
        {
            FinalMessage f = run[i];
            AbcastWire.CheckId(f.Id);
            if (f.Timestamp < 0) throw new ProtocolException($"Final {i + 1} of the run, for {f.Id}, has a negative timestamp.");
        }
        return run;
    }
}
