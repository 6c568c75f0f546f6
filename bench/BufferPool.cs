using System.Runtime.InteropServices;

namespace BitFusion.Bench;

/// <summary>
/// Sets of equal-length buffers (k sources, then r outputs) in one 64-byte-aligned native slab, filled with
/// seeded pseudo-random bytes. Consecutive buffers are separated by 4 KiB + 64·i so no two of them sit a power
/// of two apart and alias in the caches. <see cref="Pointers"/> lists a set's sources followed by its outputs.
/// </summary>
internal sealed unsafe class BufferPool : IDisposable
{
    private const nuint Alignment = 64;
    private const nuint BaseGap = 4096;

    private readonly byte* _slab;
    private readonly nint* _pointers;
    private readonly nuint _slabBytes;

    public BufferPool(int sources, int outputs, nuint length, int sets, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sources, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(sets, 1);
        Sources = sources;
        Outputs = outputs;
        Length = length;
        Sets = sets;
        int buffers = sets * (sources + outputs);
        nuint stride = (length + Alignment - 1) & ~(Alignment - 1);
        _pointers = (nint*)NativeMemory.Alloc((nuint)buffers, (nuint)sizeof(nint));
        nuint offset = 0;
        for (int i = 0; i < buffers; i++)
        {
            _pointers[i] = (nint)offset;
            offset += stride + BaseGap + Alignment * (nuint)(i % 64);
        }
        _slabBytes = offset;
        _slab = (byte*)NativeMemory.AlignedAlloc(_slabBytes, Alignment);
        for (int i = 0; i < buffers; i++) _pointers[i] += (nint)_slab;
        Fill(new Span<ulong>(_slab, checked((int)(_slabBytes / sizeof(ulong)))), seed);
    }

    public int Sources { get; }
    public int Outputs { get; }
    public nuint Length { get; }
    public int Sets { get; }

    /// <summary>The set's source pointers followed by its output pointers.</summary>
    public nint* Pointers(int set) => _pointers + set * (Sources + Outputs);

    public void FillOutputs(int set, byte value)
    {
        nint* outputs = Pointers(set) + Sources;
        for (int r = 0; r < Outputs; r++) NativeMemory.Fill((void*)outputs[r], Length, value);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_slab);
        NativeMemory.Free(_pointers);
    }

    private static void Fill(Span<ulong> words, ulong seed)
    {
        ulong x = seed | 1;
        for (int i = 0; i < words.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words[i] = x;
        }
    }
}
