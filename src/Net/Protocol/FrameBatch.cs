using System.Buffers.Binary;

namespace BitFusion.Net.Protocol;

/// <summary>
/// A <see cref="MessageType.Batch"/> frame: Skeen's small messages to or from one peer, queued back to back while
/// a read batch is handled, travel as one frame whose payload is those frames, each in the ordinary layout
/// (<c>u32 length | u8 type | payload</c>). The receiving connection checks the whole batch here and then reads the
/// inner frames as if they had come one by one, so every handler and the role table see only ordinary frames.
/// </summary>
internal static class FrameBatch
{
    /// <summary>The frame types a batch may carry: the per-write messages of Skeen's link, both ways.</summary>
    public static bool Carries(MessageType type) =>
        type is MessageType.AbcastData or MessageType.AbcastFinal or MessageType.AbcastPropose or MessageType.AbcastDelivered;

    /// <summary>
    /// Checks a batch's payload (what follows its type byte): whole inner frames that fill it exactly, each of a
    /// type it may carry, at least two of them. Returns their number.
    /// </summary>
    public static int Check(ReadOnlySpan<byte> payload)
    {
        int count = 0, at = 0;
        while (at < payload.Length)
        {
            int left = payload.Length - at;
            if (left < Frame.HeaderSize)
                throw new ProtocolException($"Batch frame {count + 1} is cut off: {left} bytes left, a frame header takes {Frame.HeaderSize}.");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(payload[at..]);
            if (length == 0 || length > (uint)(left - 4))
                throw new ProtocolException($"Batch frame {count + 1} declares length {length}; 1..{left - 4} bytes are left in the batch.");
            var type = (MessageType)payload[at + 4];
            if (!Carries(type))
                throw new ProtocolException($"A batch may carry only Skeen's data, final, proposal and delivery frames; frame {count + 1} has type {(byte)type}.");
            at += 4 + (int)length;
            count++;
        }
        if (count < 2) throw new ProtocolException($"A batch carries at least two frames; this one carries {count}.");
        return count;
    }
}
