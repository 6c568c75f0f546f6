using BitFusion.Core.Bits;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>The primary ⇄ backup codec: every frame survives a round trip, and truncated or inconsistent frames are protocol errors.</summary>
public sealed class FusionWireTests
{
    private const int Primaries = 3, Backups = 2, MaxBits = 1 << 20, MaxFrame = 1 << 20;

    private static readonly PrimaryView View = new(true, 0x0001_0000_0000_BEEF, 41, 1000, true, 39, 0x0000_FFFF_0000_0007, 30);

    [Fact]
    public void AttachRoundTrips()
    {
        byte[] b = new byte[FusionWire.AttachBytes];
        Assert.Equal(b.Length, FusionWire.WriteAttach(b, 0x5_0042, 17, 300, recovering: true));
        Assert.Equal((0x5_0042L, 17L, 300L, true), FusionWire.ReadAttach(new Frame(MessageType.Attach, b), MaxBits));
    }

    [Fact]
    public void AttachedRoundTrips()
    {
        byte[] b = new byte[FusionWire.AttachedBytes];
        Assert.Equal(b.Length, FusionWire.WriteAttached(b, View, complete: true));
        Assert.Equal((View, true), FusionWire.ReadAttached(new Frame(MessageType.Attached, b), MaxBits));
    }

    [Fact]
    public void SnapshotRoundTrips()
    {
        ulong[] words = [0xFFFF_0000_1234_5678, 0x3];
        FusionWire.SnapshotHead s = FusionWire.ReadSnapshot(SnapshotOf(66, words, token: 9), MaxBits, out ChunkCodec.Chunk chunk);
        Assert.Equal((9UL, 1L, 1L, 66L), (s.Token, s.Life, s.Seq, s.Length));
        var got = new ulong[chunk.Words];
        ChunkCodec.Decode(chunk, got);
        Assert.Equal(words, got);
    }

    [Fact]
    public void AdoptRoundTrips()
    {
        byte[] b = new byte[FusionWire.AdoptBytes];
        Assert.Equal(b.Length, FusionWire.WriteAdopt(b, 12, 2, 0x1_0001, 88, 0x2_0005));
        Assert.Equal((12UL, 2, 0x1_0001L, 88L, 0x2_0005L), FusionWire.ReadAdopt(new Frame(MessageType.Adopt, b), Primaries));
    }

    [Fact]
    public void ServingRoundTrips()
    {
        byte[] b = new byte[FusionWire.ServingBytes];
        FusionWire.WriteServing(b, 0x1_0001, 0x2_0005, 88);
        Assert.Equal((0x1_0001L, 0x2_0005L, 88L), FusionWire.ReadServing(new Frame(MessageType.Serving, b)));
    }

    [Fact]
    public void StatusReplyRoundTrips()
    {
        var report = new BackupReport(1, true, [View, new PrimaryView(false, 0, 0, 0, false, 1), View with { Serving = false }]);
        byte[] b = new byte[FusionWire.StatusReplyBytes(Primaries)];
        Assert.Equal(b.Length, FusionWire.WriteStatusReply(b, 77, report));
        (ulong id, BackupReport got) = FusionWire.ReadStatusReply(new Frame(MessageType.StatusReply, b), Primaries, Backups, MaxBits);
        Assert.Equal(77UL, id);
        Assert.Equal((report.Backup, report.Complete), (got.Backup, got.Complete));
        Assert.Equal(report.Primaries, got.Primaries);
    }

    [Fact]
    public void RetainedRoundTrips()
    {
        DeltaRecord[] deltas = [DeltaRecord.Copy(5, new Delta(70, 0, [5UL, 1UL])), DeltaRecord.Copy(6, new Delta(69, 1, [1UL], 0, 0x80))];
        byte[] b = new byte[FusionWire.RetainedBytes(2, 3)];
        Assert.Equal(b.Length, FusionWire.WriteRetained(b, 4, deltas, 2));
        (ulong id, List<DeltaRecord> got) = FusionWire.ReadRetained(new Frame(MessageType.Retained, b), MaxBits);
        Assert.Equal(4UL, id);
        Assert.Equal(deltas.Select(Describe), got.Select(Describe));
    }

    /// <summary>
    /// A backup's Retained reply holds the longest prefix of the deltas that fits in one frame (the recoverer asks
    /// for the rest); a delta too large for any frame fits nowhere.
    /// </summary>
    [Fact]
    public void RetainedRepliesHoldWhatFitsInOneFrame()
    {
        DeltaRecord[] deltas = Enumerable.Range(1, 40).Select(i => DeltaRecord.Copy(i, new Delta(64 * 8 * i, 8 * (i - 1), new ulong[8]))).ToArray();
        const int frame = 1024;
        int count = FusionWire.RetainedThatFit(deltas, frame);
        Assert.InRange(count, 1, deltas.Length - 1);
        Assert.True(FusionWire.RetainedBytes(count, 8L * count) + 1 <= frame);
        Assert.True(FusionWire.RetainedBytes(count + 1, 8L * (count + 1)) + 1 > frame);
        byte[] b = new byte[FusionWire.RetainedBytes(count, 8L * count)];
        FusionWire.WriteRetained(b, 4, deltas, count);
        Assert.Equal(deltas.Take(count).Select(Describe), FusionWire.ReadRetained(new Frame(MessageType.Retained, b), MaxBits).Deltas.Select(Describe));
        Assert.Equal(deltas.Length, FusionWire.RetainedThatFit(deltas, MaxFrame));
        Assert.Equal(0, FusionWire.RetainedThatFit([DeltaRecord.Copy(1, new Delta(64 * 200, 0, new ulong[200]))], frame));
    }

    [Fact]
    public void ForwardRoundTrips()
    {
        var delta = new Delta(130, 1, [0xAAUL, 0x3UL], 0, 0x1);
        byte[] b = new byte[FusionWire.ForwardHeadBytes + 16];
        int head = FusionWire.WriteForwardHead(b, 3, 2, 0x9_0001, 44, delta);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(delta.Words).CopyTo(b.AsSpan(head));
        var r = new PayloadReader(b);
        Delta got = FusionWire.ReadForward(ref r, Primaries, MaxBits, out ulong id, out int primary, out long life, out long seq);
        Assert.Equal((3UL, 2, 0x9_0001L, 44L), (id, primary, life, seq));
        Assert.Equal(Describe(DeltaRecord.Copy(44, delta)), Describe(DeltaRecord.Copy(seq, got)));
    }

    [Fact]
    public void ResidualRoundTrips()
    {
        byte[] request = new byte[FusionWire.ResidualRequestBytes(2)];
        FusionWire.WriteResidualRequest(request, 8, [2, 0]);
        (ulong id, int[] lost) = FusionWire.ReadResidualRequest(new Frame(MessageType.ResidualRequest, request), Primaries);
        Assert.Equal(8UL, id);
        Assert.Equal([2, 0], lost);

        ulong[] words = [1, 2, 3];
        byte[] b = new byte[FusionWire.ResidualHeadBytes(2) + ChunkCodec.MaxEncodedBytes(words.Length)];
        int head = FusionWire.WriteResidualHead(b, 8, 1, [10, 11], [190, 64]);
        int length = head + ChunkCodec.Encode(words.Length, 0, words, b.AsSpan(head));
        FusionWire.ResidualHead got = FusionWire.ReadResidual(new Frame(MessageType.Residual, b.AsMemory(0, length)), Primaries, MaxBits, out ChunkCodec.Chunk chunk);
        Assert.Equal(8UL, got.RequestId);
        Assert.Equal([10L, 11L], got.Seqs);
        Assert.Equal([190, 64], got.Lengths);
        var decoded = new ulong[chunk.Words];
        ChunkCodec.Decode(chunk, decoded);
        Assert.Equal(words, decoded);
    }

    [Theory]
    [InlineData(Refusal.BadRequest)]
    [InlineData(Refusal.NotReady)]
    [InlineData(Refusal.Unavailable)]
    [InlineData(Refusal.Conflict)]
    public void EveryRefusalHasItsErrorCode(object why) => Assert.Equal((Refusal)why, FusionWire.ToRefusal(FusionWire.ToErrorCode((Refusal)why)));

    public static IEnumerable<object[]> Malformed() =>
    [
        ["truncated attach", (Action)(() => FusionWire.ReadAttach(Frame(MessageType.Attach, FusionWire.AttachBytes - 1), MaxBits))],
        ["attach with trailing bytes", (Action)(() => FusionWire.ReadAttach(Frame(MessageType.Attach, FusionWire.AttachBytes + 1), MaxBits))],
        ["attach with a negative seq", (Action)(() => FusionWire.ReadAttach(Patched(MessageType.Attach, FusionWire.AttachBytes, 8, -1L), MaxBits))],
        ["attached with a bool of 2", (Action)(() => FusionWire.ReadAttached(Patched(MessageType.Attached, FusionWire.AttachedBytes, 0, (byte)2), MaxBits))],
        ["attached retaining from 0", (Action)(() => FusionWire.ReadAttached(Frame(MessageType.Attached, FusionWire.AttachedBytes), MaxBits))],
        ["attached with a basis past its seq", (Action)(() => FusionWire.ReadAttached(Patched(MessageType.Attached, FusionWire.AttachedBytes, 9, 41L, 26, 1L, 42, 42L), MaxBits))],
        ["adopt for primary 3", (Action)(() => FusionWire.ReadAdopt(Patched(MessageType.Adopt, FusionWire.AdoptBytes, 8, 3), Primaries))],
        ["adopt at a negative seq", (Action)(() => FusionWire.ReadAdopt(Patched(MessageType.Adopt, FusionWire.AdoptBytes, 20, -1L), Primaries))],
        ["truncated adopt", (Action)(() => FusionWire.ReadAdopt(Frame(MessageType.Adopt, FusionWire.AdoptBytes - 1), Primaries))],
        ["snapshot naming a basis past its seq", (Action)(() => FusionWire.ReadSnapshot(Patched(MessageType.Snapshot, FusionWire.SnapshotHeadBytes + ChunkCodec.HeadBytes, 16, 3L, 40, 4L), MaxBits, out _))],
        ["truncated serving", (Action)(() => FusionWire.ReadServing(Frame(MessageType.Serving, 23)))],
        ["a re-encode with a body", (Action)(() => FusionWire.ReadEmpty(Frame(MessageType.Reencode, 1)))],
        ["a status reply for 2 primaries", (Action)(() => FusionWire.ReadStatusReply(StatusFor(2), Primaries, Backups, MaxBits))],
        ["a status reply from backup 5", (Action)(() => FusionWire.ReadStatusReply(Patched(MessageType.StatusReply, FusionWire.StatusReplyBytes(Primaries), 8, 5), Primaries, Backups, MaxBits))],
        ["truncated status reply", (Action)(() => FusionWire.ReadStatusReply(StatusFor(Primaries, cut: 1), Primaries, Backups, MaxBits))],
        ["retained range backwards", (Action)(() => FusionWire.ReadRetainedRequest(RetainedRequest(5, 4), Primaries))],
        ["retained for primary 3", (Action)(() => FusionWire.ReadRetainedRequest(Patched(MessageType.RetainedRequest, FusionWire.RetainedRequestBytes, 8, 3), Primaries))],
        ["retained count past the payload", (Action)(() => FusionWire.ReadRetained(Patched(MessageType.Retained, 12, 8, 1), MaxBits))],
        ["retained delta size past the payload", (Action)(() => FusionWire.ReadRetained(RetainedWithSize(1000), MaxBits))],
        ["forward for primary -1", (Action)(() => ReadForward(Patched(MessageType.Forward, FusionWire.ForwardHeadBytes, 8, -1)))],
        ["forward delta with words missing", (Action)(() => ReadForward(Patched(MessageType.Forward, FusionWire.ForwardHeadBytes, 20, 1L, 44, 2, 48, -1)))],
        ["residual request for 4 primaries", (Action)(() => FusionWire.ReadResidualRequest(Patched(MessageType.ResidualRequest, 12 + 16, 8, 4), Primaries))],
        ["residual with its chunk missing", (Action)(() => FusionWire.ReadResidual(Frame(MessageType.Residual, FusionWire.ResidualHeadBytes(0)), Primaries, MaxBits, out _))],
        ["snapshot of a list past the limit", (Action)(() => FusionWire.ReadSnapshot(Patched(MessageType.Snapshot, FusionWire.SnapshotHeadBytes + ChunkCodec.HeadBytes, 24, MaxBits + 1), MaxBits, out _))],
        ["snapshot whose chunk belongs to a longer list", (Action)(() => FusionWire.ReadSnapshot(SnapshotOf(3, [0x1, 0x2]), MaxBits, out _))],
        ["snapshot with bits past its length", (Action)(() => FusionWire.CheckTail([0xF0], 3, "A snapshot"))],
        ["an error code a backup never sends", (Action)(() => FusionWire.ToRefusal(ErrorCode.Unknown))],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFramesAreProtocolErrors(string what, Action read) =>
        Assert.True(Assert.Throws<ProtocolException>(read).Message.Length > 0, what);

    private static string Describe(DeltaRecord d) =>
        $"{d.Seq}:{d.NewLength}:{d.FirstWord}:{string.Join(",", d.View.Words.ToArray())}:{d.ExtraWord}:{d.ExtraXor}";

    private static Frame Frame(MessageType type, int bytes) => new(type, new byte[bytes]);

    /// <summary>A zeroed payload with values written little-endian at the given offsets (pairs of offset, value).</summary>
    private static Frame Patched(MessageType type, int bytes, params object[] patches)
    {
        byte[] b = new byte[bytes];
        for (int i = 0; i < patches.Length; i += 2)
        {
            int at = (int)patches[i];
            switch (patches[i + 1])
            {
                case byte v: b[at] = v; break;
                case int v: BitConverter.TryWriteBytes(b.AsSpan(at), v); break;
                case long v: BitConverter.TryWriteBytes(b.AsSpan(at), v); break;
            }
        }
        return new Frame(type, b);
    }

    private static Frame StatusFor(int primaries, int cut = 0)
    {
        var report = new BackupReport(0, true, Enumerable.Repeat(View, primaries).ToArray());
        byte[] b = new byte[FusionWire.StatusReplyBytes(primaries)];
        FusionWire.WriteStatusReply(b, 1, report);
        return new Frame(MessageType.StatusReply, b.AsMemory(0, b.Length - cut));
    }

    private static Frame RetainedRequest(long from, long to)
    {
        byte[] b = new byte[FusionWire.RetainedRequestBytes];
        FusionWire.WriteRetainedRequest(b, 1, 0, from, to);
        return new Frame(MessageType.RetainedRequest, b);
    }

    private static Frame RetainedWithSize(int size)
    {
        byte[] b = new byte[12 + 4 + DeltaWire.HeadBytes];
        BitConverter.TryWriteBytes(b.AsSpan(8), 1);
        BitConverter.TryWriteBytes(b.AsSpan(12), size);
        return new Frame(MessageType.Retained, b);
    }

    private static Frame SnapshotOf(int length, ulong[] words, ulong token = 0)
    {
        byte[] b = new byte[FusionWire.SnapshotHeadBytes + ChunkCodec.MaxEncodedBytes(words.Length)];
        int head = FusionWire.WriteSnapshotHead(b, token, 1, 1, length, 0, 0);
        return new Frame(MessageType.Snapshot, b.AsMemory(0, head + ChunkCodec.Encode(words.Length, 0, words, b.AsSpan(head))));
    }

    private static void ReadForward(Frame frame)
    {
        var r = frame.Reader();
        FusionWire.ReadForward(ref r, Primaries, MaxBits, out _, out _, out _, out _);
    }
}
