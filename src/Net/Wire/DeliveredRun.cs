using System.Buffers.Binary;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// <c>AbcastDelivered: sender i32 | (seq i64 | status u8 | value i64 | position i64)+</c>: how one replica settled one
/// sender's messages, in delivery order. Each item is one <see cref="DeliveryReport"/>.
/// </summary>
internal readonly ref struct DeliveredRun
{
    public const int HeadBytes = 4, ItemBytes = 25;
    private readonly ReadOnlySpan<byte> _items;

    private DeliveredRun(int sender, ReadOnlySpan<byte> items)
    {
        Sender = sender;
        _items = items;
    }

    public int Sender { get; }

    public int Count => _items.Length / ItemBytes;

    public DeliveryReport this[int i]
    {
        get
        {
            ReadOnlySpan<byte> item = _items.Slice(i * ItemBytes, ItemBytes);
            return new DeliveryReport(new MessageId(Sender, BinaryPrimitives.ReadInt64LittleEndian(item)), (DeliveryStatus)item[8],
                BinaryPrimitives.ReadInt64LittleEndian(item[9..]), BinaryPrimitives.ReadInt64LittleEndian(item[17..]));
        }
    }

    public static DeliveredRun Read(ReadOnlySpan<byte> payload)
    {
        var run = new DeliveredRun(RunShape.Sender(payload, "delivery report", HeadBytes, ItemBytes), payload[HeadBytes..]);
        for (int i = 0; i < run.Count; i++)
        {
            DeliveryReport d = run[i];
            AbcastWire.CheckId(d.Id);
            if (d.Status > DeliveryStatus.InSnapshot) throw new ProtocolException($"Delivery report {i + 1} of the run, for {d.Id}, has unknown status {(byte)d.Status}.");
        }
        return run;
    }
}
