namespace BitFusion.Core.Kernels;

/// <summary>
/// A count known when the JIT compiles a generic kernel: loops over sources or outputs become straight-line
/// code with each pointer in its own register. A loop bound read at run time costs about half the bandwidth
/// from memory, so the kernels take their source and output counts this way.
/// </summary>
internal interface ICount
{
    static abstract int Value { get; }
}

internal readonly struct N1 : ICount { public static int Value => 1; }
internal readonly struct N2 : ICount { public static int Value => 2; }
internal readonly struct N3 : ICount { public static int Value => 3; }
internal readonly struct N4 : ICount { public static int Value => 4; }
internal readonly struct N5 : ICount { public static int Value => 5; }
internal readonly struct N6 : ICount { public static int Value => 6; }
internal readonly struct N7 : ICount { public static int Value => 7; }
internal readonly struct N8 : ICount { public static int Value => 8; }
