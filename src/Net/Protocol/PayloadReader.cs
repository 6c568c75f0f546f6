using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace BitFusion.Net.Protocol;

/// <summary>Reads little-endian fixed-width fields; a read past the end is a <see cref="ProtocolException"/>.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _offset;

    public readonly int Remaining => _payload.Length - _offset;

    public byte U8() => Take(1)[0];
    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw new ProtocolException($"A boolean field holds {b}, not 0 or 1."),
    };
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A non-negative i32 no larger than <paramref name="max"/>, named for the error message.</summary>
    public int Count(string field, int max)
    {
        int v = I32();
        if (v < 0 || v > max) throw new ProtocolException($"Field {field} = {v} is outside 0..{max}.");
        return v;
    }

    /// <summary>
    /// A list's length in bits: a non-negative i64 no larger than <paramref name="max"/> (the reader's list limit),
    /// named for the error message. Read before anything is allocated for the list.
    /// </summary>
    public long Length(string field, long max)
    {
        long v = I64();
        if (v < 0 || v > max) throw new ProtocolException($"Field {field} = {v} is outside 0..{max}, the longest list this node accepts (maxListBits).");
        return v;
    }

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count < 0) throw new ProtocolException($"Negative byte count {count}.");
        return Take(count);
    }

    /// <summary>A run of u64 words, reinterpreted in place (the wire is little-endian like x64 and arm64).</summary>
    public ReadOnlySpan<ulong> Words(int count)
    {
        if (count < 0 || count > Remaining / 8) throw new ProtocolException($"{count} words do not fit in the {Remaining} bytes left.");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(Take(count * 8));
    }

    public ReadOnlySpan<byte> Rest() => Take(Remaining);

    public readonly void End()
    {
        if (_offset != _payload.Length)
            throw new ProtocolException($"{_payload.Length - _offset} unexpected trailing bytes.");
    }

    // Inlined into every field read (the throw lives apart, so it does not stop the inlining).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _payload.Length - _offset) Truncated(n);
        ReadOnlySpan<byte> s = _payload.Slice(_offset, n);
        _offset += n;
        return s;
    }

    [DoesNotReturn]
    private readonly void Truncated(int n) =>
        throw new ProtocolException($"Truncated payload: needed {n} more bytes at offset {_offset} of {_payload.Length}.");
}
