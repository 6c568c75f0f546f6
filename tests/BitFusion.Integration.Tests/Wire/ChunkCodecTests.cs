using BitFusion.Net.Protocol;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Wire;

/// <summary>
/// Whole lists in chunks: any cut of a list reassembles to the same words, LZ4 is used only where it pays, a
/// re-delivered chunk changes nothing, and a malformed or out-of-range chunk is a protocol error that leaves what
/// has arrived untouched.
/// </summary>
public sealed class ChunkCodecTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1000, 7)]
    [InlineData(1000, 1000)]
    [InlineData(70_000, 4096)]
    public void AnyCutReassemblesTheList(int words, int chunkWords)
    {
        ulong[] list = Mixed(words, seed: words);
        InboundList? inbound = null;
        foreach (byte[] frame in Frames(list, chunkWords))
        {
            Assert.False(inbound?.Complete ?? false);
            ChunkCodec.Chunk chunk = Read(frame);
            inbound = InboundList.For(inbound, 5, chunk);
            inbound.Accept(chunk);
        }
        Assert.True(inbound!.Complete);
        Assert.Equal(list, inbound.Words);
    }

    [Fact]
    public void Lz4OnlyWherePays()
    {
        ulong[] runs = new ulong[4096];
        runs.AsSpan(100, 50).Fill(ulong.MaxValue);
        ulong[] random = Random(4096, seed: 1);
        Assert.Equal(ChunkCodecKind.Lz4, Read(Frames(runs, 4096)[0]).Codec);
        Assert.True(Frames(runs, 4096)[0].Length < 4096 * 8 / 8);
        Assert.Equal(ChunkCodecKind.Raw, Read(Frames(random, 4096)[0]).Codec);
        Assert.Equal(ChunkCodec.HeadBytes + 4096 * 8, Frames(random, 4096)[0].Length);
    }

    [Fact]
    public void AReDeliveredChunkChangesNothing()
    {
        ulong[] list = Random(30, seed: 2);
        List<byte[]> frames = Frames(list, 10);
        InboundList inbound = InboundList.For(null, 1, Read(frames[0]));
        inbound.Accept(Read(frames[0]));
        inbound.Accept(Read(frames[1]));
        inbound.Accept(Read(frames[0]));
        inbound.Accept(Read(frames[1]));
        Assert.False(inbound.Complete);
        Assert.True(inbound.Accept(Read(frames[2])));
        Assert.Equal(list, inbound.Words);
    }

    public static IEnumerable<object[]> Malformed() =>
    [
        ["a gap: chunk 2 before chunk 1", (Func<List<byte[]>, byte[]>)(f => f[2])],
        ["words past the total", (Func<List<byte[]>, byte[]>)(f => Patch(f[1], 8, 25))],
        ["offset past the total", (Func<List<byte[]>, byte[]>)(f => Patch(f[1], 4, 31))],
        ["another total", (Func<List<byte[]>, byte[]>)(f => Patch(f[1], 0, 40))],
        ["a raw chunk with bytes missing", (Func<List<byte[]>, byte[]>)(f => f[1][..^8])],
        ["a raw chunk with its byte count off", (Func<List<byte[]>, byte[]>)(f => Patch(f[1], 13, 72))],
        ["an unknown codec", (Func<List<byte[]>, byte[]>)(f => PatchByte(f[1], 12, 7))],
        ["an LZ4 chunk no smaller than raw", (Func<List<byte[]>, byte[]>)(f => PatchByte(f[1], 12, (byte)ChunkCodecKind.Lz4))],
        ["a corrupt LZ4 chunk", (Func<List<byte[]>, byte[]>)(f => CorruptLz4())],
        ["an empty chunk in a non-empty list", (Func<List<byte[]>, byte[]>)(f => Patch(Patch(f[1][..ChunkCodec.HeadBytes], 8, 0), 13, 0))],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void AMalformedChunkIsAProtocolErrorAndChangesNothing(string what, Func<List<byte[]>, byte[]> pick)
    {
        ulong[] list = Random(30, seed: 3);
        List<byte[]> frames = Frames(list, 10);
        InboundList inbound = InboundList.For(null, 1, Read(frames[0]));
        inbound.Accept(Read(frames[0]));
        ulong[] before = inbound.Words[..10];
        ProtocolException e = Assert.Throws<ProtocolException>(() =>
        {
            ChunkCodec.Chunk chunk = Read(pick(frames));
            InboundList.For(inbound, 1, chunk).Accept(chunk);
        });
        Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
        Assert.False(inbound.Complete, what);
        Assert.Equal(before, inbound.Words[..10]);
    }

    [Fact]
    public void AChunkOfNoTransferUnderWayIsAProtocolError()
    {
        List<byte[]> frames = Frames(Random(30, seed: 4), 10);
        Assert.Throws<ProtocolException>(() => InboundList.For(null, 1, Read(frames[1])));
        InboundList other = InboundList.For(null, 2, Read(frames[0]));
        Assert.Throws<ProtocolException>(() => InboundList.For(other, 1, Read(frames[1])));
    }

    [Theory]
    [InlineData(4096, 0)]
    [InlineData(4096, 3088)]
    [InlineData(64 << 20, 20)]
    public void AChunkFillsAtMostOneFrame(int maxFrameBytes, int headBytes)
    {
        int words = ChunkCodec.ChunkWords(maxFrameBytes, headBytes);
        Assert.InRange(words, 1, ChunkCodec.MaxChunkWords);
        Assert.True(1 + headBytes + ChunkCodec.MaxEncodedBytes(words) <= maxFrameBytes);
    }

    private static List<byte[]> Frames(ulong[] list, int chunkWords)
    {
        var frames = new List<byte[]>();
        for (int offset = 0; offset < list.Length || (list.Length == 0 && frames.Count == 0); offset += chunkWords)
        {
            int count = Math.Min(chunkWords, list.Length - offset);
            byte[] b = new byte[ChunkCodec.MaxEncodedBytes(count)];
            frames.Add(b[..ChunkCodec.Encode(list.Length, offset, list.AsSpan(offset, count), b)]);
        }
        return frames;
    }

    private static ChunkCodec.Chunk Read(byte[] frame)
    {
        var r = new PayloadReader(frame);
        return ChunkCodec.Read(ref r, int.MaxValue / 64);
    }

    /// <summary>The second chunk of a compressible 30-word list, with a byte of its LZ4 block flipped.</summary>
    private static byte[] CorruptLz4()
    {
        ulong[] zeros = new ulong[30];
        byte[] b = new byte[ChunkCodec.MaxEncodedBytes(10)];
        byte[] chunk = b[..ChunkCodec.Encode(30, 10, zeros.AsSpan(10, 10), b)];
        Assert.Equal(ChunkCodecKind.Lz4, Read(chunk).Codec);
        chunk[ChunkCodec.HeadBytes] = 0xFF;
        return chunk;
    }

    private static byte[] Patch(byte[] frame, int at, int value)
    {
        byte[] copy = frame.ToArray();
        BitConverter.TryWriteBytes(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] PatchByte(byte[] frame, int at, byte value)
    {
        byte[] copy = frame.ToArray();
        copy[at] = value;
        return copy;
    }

    private static ulong[] Random(int words, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, words).Select(_ => (ulong)r.NextInt64()).ToArray();
    }

    /// <summary>Random stretches and runs, so some chunks compress and some do not.</summary>
    private static ulong[] Mixed(int words, int seed)
    {
        var r = new Random(seed);
        ulong[] list = Random(words, seed);
        for (int at = 0; at < words; at += 2048)
            if (r.Next(2) == 0) list.AsSpan(at, Math.Min(2048, words - at)).Clear();
        return list;
    }
}
