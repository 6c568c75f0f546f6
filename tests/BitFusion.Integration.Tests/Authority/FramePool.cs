using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BitFusion.Core.Abcast;
using BitFusion.Core.Bits;
using BitFusion.Net.Protocol;
using BitFusion.Core.Replication;
using BitFusion.Net.Replication;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>
/// Whole frames (length prefix included) as the protocol's writers produce them: the client reads a primary and a
/// backup accept, and frames of other roles (deltas, Skeen, membership, replies) that a client must not send.
/// </summary>
internal static class FramePool
{
    /// <summary>Requests a client may send a primary that change nothing: Get, Count, ReadAll, Stats.</summary>
    public static readonly byte[][] PrimaryReads =
    [
        Request(MessageType.Get, 16, w => w.I64(0)),
        Request(MessageType.Get, 16, w => w.I64(1L << 40)),
        Request(MessageType.Count, 8),
        Request(MessageType.ReadAll, 8),
        Request(MessageType.Stats, 8),
    ];

    /// <summary>The requests a client may send a backup.</summary>
    public static readonly byte[][] BackupReads = [Request(MessageType.Stats, 8), Request(MessageType.ReadAll, 8)];

    /// <summary>Frames of other roles, written by their own writers.</summary>
    public static readonly byte[][] WrongRole = Capture(c =>
    {
        DeltaWire.Enqueue(c, MessageType.Delta, 1, 0, new Delta(70, 0, [5UL, 1UL]));
        AbcastWire.EnqueueFinal(c, new FinalMessage(new MessageId(0, 1), 3, 1, 0));
        AbcastWire.EnqueuePropose(c, new ProposalMessage(new MessageId(0, 1), 3));
        MembershipWire.EnqueueStatus(c, new NodeStatus(7, NodePhase.Serving, 1, 1, 0, 0));
        Replies.Ok(c, 1, 5, flush: false);
        Replies.Error(c, 1, ErrorCode.OutOfRange, "no", flush: false);
        Span<byte> attach = stackalloc byte[FusionWire.AttachBytes];
        c.Enqueue(MessageType.Attach, attach[..FusionWire.WriteAttach(attach, 0, 0, 0, recovering: true)]);
        c.Enqueue(MessageType.Hello, new byte[73]);
    });

    /// <summary>Types whose payload size is fixed for reads, so an oracle can tell a damaged read from a valid one.</summary>
    public static int? ReadPayloadBytes(MessageType type) => type switch
    {
        MessageType.Get => 16,
        MessageType.Count or MessageType.ReadAll or MessageType.Stats => 8,
        _ => null,
    };

    /// <summary>Splits a byte stream into frames as a server would: the whole frames, and whether the stream ended on a boundary.</summary>
    public static (List<(MessageType Type, int PayloadBytes)> Frames, bool Whole) Split(ReadOnlySpan<byte> stream, int maxFrameBytes)
    {
        var frames = new List<(MessageType, int)>();
        while (stream.Length > 0)
        {
            if (stream.Length < 4) return (frames, false);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(stream);
            if (length == 0 || length > maxFrameBytes || stream.Length < 4 + length) return (frames, false);
            frames.Add(((MessageType)stream[4], (int)length - 1));
            stream = stream[(4 + (int)length)..];
        }
        return (frames, true);
    }

    private static byte[] Request(MessageType type, int payloadBytes, Action<FieldWriter>? fields = null)
    {
        byte[] frame = new byte[Frame.HeaderSize + payloadBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payloadBytes + 1);
        frame[4] = (byte)type;
        var w = new FieldWriter(frame, Frame.HeaderSize);
        w.U64(1);
        fields?.Invoke(w);
        return frame;
    }

    /// <summary>Little-endian fields after the request id; a class so a lambda can hold it.</summary>
    private sealed class FieldWriter(byte[] frame, int at)
    {
        private int _at = at;

        public void U64(ulong v)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(_at), v);
            _at += 8;
        }

        public void I64(long v)
        {
            BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(_at), v);
            _at += 8;
        }
    }

    private static byte[][] Capture(Action<Connection> write)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(listener.LocalEndPoint!);
        using Socket far = listener.Accept();
        using (var c = new Connection(socket, "frame pool"))
        {
            write(c);
            c.Flush();
        }
        using var bytes = new MemoryStream();
        byte[] buffer = new byte[1 << 16];
        int got;
        while ((got = far.Receive(buffer)) > 0) bytes.Write(buffer, 0, got);
        byte[] all = bytes.ToArray();
        var frames = new List<byte[]>();
        for (int at = 0; at < all.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(at));
            frames.Add(all.AsSpan(at, 4 + length).ToArray());
            at += 4 + length;
        }
        return [.. frames];
    }
}
