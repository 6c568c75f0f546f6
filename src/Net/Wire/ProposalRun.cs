using System.Buffers.Binary;
using BitFusion.Core.Abcast;
using BitFusion.Net.Protocol;

namespace BitFusion.Net.Wire;

/// <summary>
/// <c>AbcastPropose: sender i32 | (seq i64 | timestamp i64)+</c>: one data node's proposals for one sender's
/// messages, in the order it made them. Read checks every item, so the items handed out are all valid.
/// </summary>
internal readonly ref struct ProposalRun
{
    public const int HeadBytes = 4, ItemBytes = 16;
    private readonly ReadOnlySpan<byte> _items;

    private ProposalRun(int sender, ReadOnlySpan<byte> items)
    {
        Sender = sender;
        _items = items;
    }

    public int Sender { get; }

    public int Count => _items.Length / ItemBytes;

    public ProposalMessage this[int i]
    {
        get
        {
            ReadOnlySpan<byte> item = _items.Slice(i * ItemBytes, ItemBytes);
            return new ProposalMessage(new MessageId(Sender, BinaryPrimitives.ReadInt64LittleEndian(item)), BinaryPrimitives.ReadInt64LittleEndian(item[8..]));
        }
    }

    public static ProposalRun Read(ReadOnlySpan<byte> payload)
    {
        var run = new ProposalRun(RunShape.Sender(payload, "proposal", HeadBytes, ItemBytes), payload[HeadBytes..]);
        for (int i = 0; i < run.Count; i++)
        {
            ProposalMessage p = run[i];
            AbcastWire.CheckId(p.Id);
            if (p.Timestamp < 0) throw new ProtocolException($"Proposal {i + 1} of the run, for {p.Id}, has a negative timestamp.");
        }
        return run;
    }
}
