using BitFusion.Core.Fusion.Roles;

namespace BitFusion.Core.Tests.FusionSimulation;

// Every message the simulated network carries: the fields of the wire frames, with owned copies of any words.

/// <summary>One chunk of a whole list: it occupies its link for <see cref="FusionSimOptions.ChunkWireMs"/>, so a transfer takes time and faults land inside it.</summary>
internal interface IChunkMsg;

internal sealed record Heartbeat;

internal sealed record AttachMsg(long Life, long Seq, long Length, bool Recovering);
internal sealed record AttachedMsg(PrimaryView View, bool Complete);
internal sealed record DeltaMsg(long Watermark, DeltaRecord Delta);
internal sealed record AckMsg(long Seq);
internal sealed record SnapshotChunkMsg(ulong Token, long Life, long Seq, long Length, long BasisLife, long BasisSeq, int Total, int Offset, ulong[] Words) : IChunkMsg;
internal sealed record SnapshotRequestMsg(ulong Token);
internal sealed record ServingMsg(long OldLife, long NewLife, long Seq);
internal sealed record ReencodeMsg;

internal sealed record StatusMsg(ulong Id);
internal sealed record StatusReplyMsg(ulong Id, BackupReport Report);
internal sealed record RetainedRequestMsg(ulong Id, int Primary, long From, long To);
internal sealed record RetainedMsg(ulong Id, DeltaRecord[] Deltas);
internal sealed record ForwardMsg(ulong Id, int Primary, long Life, DeltaRecord Delta);
internal sealed record ForwardedMsg(ulong Id, long Seq);
internal sealed record AdoptMsg(ulong Id, int Primary, long OldLife, long Seq, long NewLife);
internal sealed record ResidualRequestMsg(ulong Id, int[] Lost);
internal sealed record ResidualChunkMsg(ulong Id, long[] Seqs, long[] Lengths, int Total, int Offset, ulong[] Words) : IChunkMsg;
internal sealed record RefusedMsg(ulong Id, Refusal Why, string Message);

internal enum ClientOp : byte
{
    Append,
    Set,
    Insert,
    RemoveAt,
    SwapRemoveAt,
    Get,
    Count,
    ReadAll,

    /// <summary>Many random bits at once (never drawn at random: a growing seed's clients open with one).</summary>
    AppendMany,
}

internal sealed record ClientRequest(ulong Id, ClientOp Op, int Index, bool Bit, ulong ClientSeq, bool Resend, ulong[]? Packed = null, int PackedBits = 0);
internal sealed record ClientReply(ulong Id, long Value, Outcome? Failure, ulong[]? Words, long Length);
internal sealed record BitsChunkMsg(ulong Id, long Seq, long Length, int Total, int Offset, ulong[] Words) : IChunkMsg;
