using System.Runtime.CompilerServices;

namespace BitFusion.Core.Kernels;

/// <summary>
/// A GF pass's last few bytes, fewer than a vector: the pass runs once over copies padded to full width, so its column
/// loop needs no scalar twin. The padding's contents never reach the caller, so the staging is left uninitialised.
/// </summary>
internal static unsafe class TailStaging
{
    /// <summary>
    /// Points <paramref name="staged"/>[j] at slot j of <paramref name="staging"/> (the outputs first, then the sources)
    /// and copies <paramref name="count"/> real bytes from offset <paramref name="at"/> into each.
    /// </summary>
    public static void Stage(byte* staging, nint* staged, nuint width, int outputCount, int sourceCount,
        nint* outputs, nint* sources, nuint at, nuint count)
    {
        for (int j = 0; j < outputCount + sourceCount; j++)
        {
            staged[j] = (nint)(staging + (nuint)j * width);
            byte* real = j < outputCount ? (byte*)outputs[j] : (byte*)sources[j - outputCount];
            Unsafe.CopyBlockUnaligned((byte*)staged[j], real + at, (uint)count);
        }
    }

    /// <summary>Copies the real bytes of each staged output back to where they belong.</summary>
    public static void Unstage(nint* staged, int outputCount, nint* outputs, nuint at, nuint count)
    {
        for (int r = 0; r < outputCount; r++)
            Unsafe.CopyBlockUnaligned((byte*)outputs[r] + at, (byte*)staged[r], (uint)count);
    }
}
