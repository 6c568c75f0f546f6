using System.Buffers.Binary;
using System.Text;

namespace BitFusion.Tools.Tests;

/// <summary>Writes nettrace (v5, compressed headers) streams the way EventPipe does, to feed the reader known input.</summary>
internal sealed class NettraceWriter
{
    private readonly MemoryStream _out = new();

    public NettraceWriter(int pointerSize = 8, int processId = 4242)
    {
        _out.Write("Nettrace"u8);
        String("!FastSerialization.1");
        BeginObject("Trace", 4, 4);
        var trace = new byte[48];
        BinaryPrimitives.WriteInt64LittleEndian(trace.AsSpan(24), 1_000_000_000);
        BinaryPrimitives.WriteInt32LittleEndian(trace.AsSpan(32), pointerSize);
        BinaryPrimitives.WriteInt32LittleEndian(trace.AsSpan(36), processId);
        _out.Write(trace);
        _out.WriteByte(6);
    }

    public NettraceWriter Metadata(int id, string provider, int eventId)
    {
        var p = new List<byte>();
        Int32(p, id);
        Utf16(p, provider);
        Int32(p, eventId);
        Utf16(p, "");
        p.AddRange(new byte[8]);
        Int32(p, 0);
        Int32(p, 5);
        Int32(p, 0);
        var blob = new List<byte> { 1 | 128 };
        VarUInt(blob, 0);
        VarUInt(blob, 0);
        VarUInt(blob, (ulong)p.Count);
        blob.AddRange(p);
        Block("MetadataBlock", blob);
        return this;
    }

    /// <summary>One event block; each event is (metadata id, capture thread, sequence number, timestamp, payload).</summary>
    public NettraceWriter Events(params (int MetadataId, long Thread, int Sequence, long Time, byte[] Payload)[] events)
    {
        var blob = new List<byte>();
        int seq = 0;
        long time = 0;
        foreach (var e in events)
        {
            blob.Add(1 | 2 | 128);
            VarUInt(blob, (ulong)e.MetadataId);
            VarUInt(blob, (uint)(e.Sequence - seq - 1));
            VarUInt(blob, (ulong)e.Thread);
            VarUInt(blob, 0);
            VarUInt(blob, (ulong)(e.Time - time));
            VarUInt(blob, (ulong)e.Payload.Length);
            blob.AddRange(e.Payload);
            seq = e.Sequence;
            time = e.Time;
        }
        Block("EventBlock", blob);
        return this;
    }

    public NettraceWriter SequencePoint(params (long Thread, int Sequence)[] threads)
    {
        var p = new List<byte>();
        p.AddRange(new byte[8]);
        Int32(p, threads.Length);
        foreach ((long thread, int sequence) in threads)
        {
            p.AddRange(BitConverter.GetBytes(thread));
            Int32(p, sequence);
        }
        BeginObject("SPBlock", 2, 2);
        Payload(p);
        _out.WriteByte(6);
        return this;
    }

    public byte[] Finish(bool end = true)
    {
        if (end) _out.WriteByte(1);
        return _out.ToArray();
    }

    private void Block(string name, List<byte> events)
    {
        var p = new List<byte>();
        p.AddRange(BitConverter.GetBytes((short)20));
        p.AddRange(BitConverter.GetBytes((short)1));
        p.AddRange(new byte[16]);
        p.AddRange(events);
        BeginObject(name, 2, 2);
        Payload(p);
        _out.WriteByte(6);
    }

    private void Payload(List<byte> p)
    {
        _out.Write(BitConverter.GetBytes(p.Count));
        while (_out.Position % 4 != 0) _out.WriteByte(0);
        _out.Write(p.ToArray());
    }

    private void BeginObject(string type, int version, int minReader)
    {
        _out.WriteByte(5);
        _out.WriteByte(5);
        _out.WriteByte(1);
        _out.Write(BitConverter.GetBytes(version));
        _out.Write(BitConverter.GetBytes(minReader));
        String(type);
        _out.WriteByte(6);
    }

    private void String(string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        _out.Write(BitConverter.GetBytes(b.Length));
        _out.Write(b);
    }

    private static void Int32(List<byte> p, int v) => p.AddRange(BitConverter.GetBytes(v));

    private static void Utf16(List<byte> p, string s)
    {
        p.AddRange(Encoding.Unicode.GetBytes(s));
        p.Add(0);
        p.Add(0);
    }

    private static void VarUInt(List<byte> p, ulong v)
    {
        do
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            p.Add(v != 0 ? (byte)(b | 0x80) : b);
        } while (v != 0);
    }
}
