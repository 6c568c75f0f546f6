using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Net.Wire;

/// <summary>
/// The one codec of client requests, for primaries and managers alike:
/// <c>reqId u64 | group i32 (to a manager) | then, for a write, clientId u64 | clientSeq u64 | resend bool |
/// then the operation's fields</c> — Set/Insert <c>index i64 | bit bool</c>, Append <c>bit bool</c>,
/// RemoveAt/SwapRemoveAt/Get <c>index i64</c>, AppendMany <c>bits i32 | words u64[ceil(bits/64)]</c>; Count,
/// ReadAll, Stats, Samples and RejoinTimes carry nothing more.
/// </summary>
internal static class ClientRequestCodec
{
    /// <summary>The largest head any request has (a grouped Set); an append-many's words follow it.</summary>
    public const int MaxHeadBytes = 8 + 4 + 17 + 8 + 1;

    public static bool IsWrite(MessageType type) =>
        type is MessageType.Append or MessageType.Set or MessageType.Insert or MessageType.RemoveAt or MessageType.SwapRemoveAt or MessageType.AppendMany;

    /// <summary>
    /// Parses a request; <paramref name="grouped"/> when the server is a manager. A malformed or unknown request is
    /// a <see cref="ProtocolException"/>; an append-many of 0 bits parses (the server answers it BadRequest).
    /// </summary>
    public static ClientRequest Read(in Frame frame, bool grouped, int maxBits)
    {
        var r = frame.Reader();
        ulong requestId = r.U64();
        int group = grouped ? r.I32() : -1;
        MessageType type = frame.Type;
        ulong clientId = 0, clientSeq = 0;
        bool resend = false;
        if (IsWrite(type))
        {
            clientId = r.U64();
            clientSeq = r.U64();
            resend = r.Bool();
            if (clientId == 0) throw new ProtocolException("A write's clientId must be nonzero.");
            if (clientSeq == 0) throw new ProtocolException("A write's clientSeq must be ≥ 1.");
        }
        ListOp op = ListOp.Append;
        long index = 0;
        int bits = 0;
        bool bit = false;
        ReadOnlySpan<ulong> packed = default;
        switch (type)
        {
            case MessageType.Append:
                bit = r.Bool();
                break;
            case MessageType.Set or MessageType.Insert:
                op = type == MessageType.Set ? ListOp.Set : ListOp.Insert;
                index = r.I64();
                bit = r.Bool();
                break;
            case MessageType.RemoveAt or MessageType.SwapRemoveAt:
                op = type == MessageType.RemoveAt ? ListOp.RemoveAt : ListOp.SwapRemoveAt;
                index = r.I64();
                break;
            case MessageType.AppendMany:
                bits = r.Count("bits", maxBits);
                packed = r.Words(Delta.WordsFor(bits));
                break;
            case MessageType.Get:
                index = r.I64();
                break;
            case MessageType.Count or MessageType.ReadAll or MessageType.Stats or MessageType.Samples or MessageType.RejoinTimes:
                break;
            default:
                throw new ProtocolException($"Unknown or unexpected frame type {(byte)type} for a {(grouped ? "manager" : "primary")}.");
        }
        r.End();
        return new ClientRequest
        {
            Type = type, RequestId = requestId, Group = group, ClientId = clientId, ClientSeq = clientSeq, Resend = resend,
            Op = op, Index = index, Bit = bit, Bits = bits, Packed = packed,
        };
    }

    /// <summary>Appends the request to the connection's send buffer (the caller flushes); <paramref name="grouped"/> to a manager.</summary>
    public static void Enqueue(Connection connection, in ClientRequest request, bool grouped)
    {
        Span<byte> head = stackalloc byte[MaxHeadBytes];
        var w = new PayloadWriter(head);
        w.U64(request.RequestId);
        if (grouped) w.I32(request.Group);
        if (request.IsWrite)
        {
            w.U64(request.ClientId);
            w.U64(request.ClientSeq);
            w.Bool(request.Resend);
        }
        ReadOnlySpan<byte> body = default;
        switch (request.Type)
        {
            case MessageType.Append:
                w.Bool(request.Bit);
                break;
            case MessageType.Set or MessageType.Insert:
                w.I64(request.Index);
                w.Bool(request.Bit);
                break;
            case MessageType.RemoveAt or MessageType.SwapRemoveAt or MessageType.Get:
                w.I64(request.Index);
                break;
            case MessageType.AppendMany:
                w.I32(request.Bits);
                body = System.Runtime.InteropServices.MemoryMarshal.AsBytes(request.Packed[..Delta.WordsFor(request.Bits)]);
                break;
        }
        connection.Enqueue(request.Type, head[..w.Written], body);
    }
}
