using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BitFusion.Heap.Nettrace;

/// <summary>A bounds-checked little-endian reader over one block or payload; overruns are format errors.</summary>
public ref struct BlockCursor(ReadOnlySpan<byte> data, int position)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position = position;

    public readonly bool AtEnd => _position >= _data.Length;

    public readonly int Remaining => _data.Length - _position;

    public ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)Remaining) throw Overrun(count);
        ReadOnlySpan<byte> s = _data.Slice(_position, count);
        _position += count;
        return s;
    }

    public byte Byte() => Take(1)[0];

    public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A pointer-sized field widened to 64 bits.</summary>
    public ulong Pointer(int pointerSize) => pointerSize == 8 ? UInt64() : UInt32();

    public void AlignTo4() => _position = Math.Min(_data.Length, (_position + 3) & ~3);

    public uint VarUInt32()
    {
        ulong v = VarUInt64();
        if (v > uint.MaxValue) throw new NettraceFormatException("malformed nettrace stream: a 32-bit varint overflows.");
        return (uint)v;
    }

    public ulong VarUInt64()
    {
        ulong v = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Byte();
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new NettraceFormatException("malformed nettrace stream: a varint runs past 10 bytes.");
    }

    /// <summary>A null-terminated UTF-16LE string, as event payloads and metadata encode names.</summary>
    public string Utf16String()
    {
        ReadOnlySpan<char> chars = MemoryMarshal.Cast<byte, char>(_data[_position..(_position + (Remaining & ~1))]);
        int end = chars.IndexOf('\0');
        if (end < 0) throw new NettraceFormatException("malformed nettrace stream: an unterminated string.");
        _position += (end + 1) * 2;
        return new string(chars[..end]);
    }

    private readonly NettraceFormatException Overrun(int count) =>
        new($"malformed nettrace stream: a field of {count} bytes runs past its block ({Remaining} bytes left).");
}
