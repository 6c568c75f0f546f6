using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BitFusion.Net.Protocol;

/// <summary>Writes little-endian fixed-width fields into a span reserved for one frame's payload.</summary>
internal ref struct PayloadWriter(Span<byte> target)
{
    private readonly Span<byte> _target = target;
    private int _written;

    public readonly int Written => _written;

    public void U8(byte v) => Take(1)[0] = v;
    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);
    public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), v);
    public void I32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), v);
    public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), v);
    public void I64(long v) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), v);
    public void U64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), v);
    public void Bytes(scoped ReadOnlySpan<byte> v) => v.CopyTo(Take(v.Length));
    public void Words(scoped ReadOnlySpan<ulong> v) => Bytes(MemoryMarshal.AsBytes(v));

    /// <summary>Space for the caller to fill directly (e.g. a compressor); call <see cref="Advance"/> after.</summary>
    public readonly Span<byte> Free => _target[_written..];

    public void Advance(int n)
    {
        if ((uint)n > (uint)(_target.Length - _written)) throw new InvalidOperationException("Advanced past the reserved payload.");
        _written += n;
    }

    // Inlined into every field write (the throw lives apart, so it does not stop the inlining): a data item is ten of them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Take(int n)
    {
        if (n > _target.Length - _written) Overflow(n);
        Span<byte> s = _target.Slice(_written, n);
        _written += n;
        return s;
    }

    [DoesNotReturn]
    private readonly void Overflow(int n) =>
        throw new InvalidOperationException($"Payload overflow: {n} more bytes after {_written} of {_target.Length} reserved.");
}
