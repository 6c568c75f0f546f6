using System.Runtime.CompilerServices;

namespace BitFusion.Core.Tests;

/// <summary>
/// A pinned test buffer that places data at a chosen misalignment from a 64-byte boundary, surrounded by random
/// guard bytes, and checks afterwards that the data region holds what was expected and nothing else changed.
/// </summary>
internal sealed unsafe class KernelSlab
{
    private const int Guard = 64;
    private readonly byte[] _bytes;
    private readonly byte* _aligned;
    private byte[] _snapshot = [];
    private byte* _at;
    private int _length;

    public KernelSlab(int capacity)
    {
        _bytes = GC.AllocateUninitializedArray<byte>(capacity + 4 * 64, pinned: true);
        byte* p = (byte*)Unsafe.AsPointer(ref _bytes[0]);
        _aligned = (byte*)(((nuint)p + 63) & ~(nuint)63) + Guard;
    }

    /// <summary>Fills the whole slab with noise, copies <paramref name="data"/> in at the misalignment, returns where.</summary>
    public byte* Place(ReadOnlySpan<byte> data, int misalignment, Random rng)
    {
        rng.NextBytes(_bytes);
        _at = _aligned + misalignment;
        _length = data.Length;
        data.CopyTo(new Span<byte>(_at, _length));
        _snapshot = (byte[])_bytes.Clone();
        return _at;
    }

    public void AssertHolds(ReadOnlySpan<byte> expected, Func<string> context)
    {
        var actual = new ReadOnlySpan<byte>(_at, _length);
        if (!actual.SequenceEqual(expected))
        {
            int i = 0;
            while (actual[i] == expected[i]) i++;
            Assert.Fail($"{context()}: byte {i} of {_length} is {actual[i]:X2}, expected {expected[i]:X2}.");
        }
        int start = (int)(_at - (byte*)Unsafe.AsPointer(ref _bytes[0]));
        if (!_bytes.AsSpan(0, start).SequenceEqual(_snapshot.AsSpan(0, start)))
            Assert.Fail($"{context()}: wrote before the start of the range.");
        if (!_bytes.AsSpan(start + _length).SequenceEqual(_snapshot.AsSpan(start + _length)))
            Assert.Fail($"{context()}: wrote past the end of the range.");
    }
}
