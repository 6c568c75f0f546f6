using System.Runtime.InteropServices;

namespace BitFusion.Core.Kernels;

/// <summary>
/// A count fixed when the JIT compiles a generic kernel, carried as the struct's size. Kernels read it as
/// <c>Unsafe.SizeOf&lt;TK&gt;()</c>, which the JIT turns into a constant while importing IL, before inlining:
/// branches on it fold at once and the code for absent sources and outputs is never imported. (A static
/// property would only become constant after inlining, and the dead code imported by then runs the JIT out of
/// its per-method budget of locals, leaving the accumulators in memory.)
/// </summary>
internal interface ICount;

[StructLayout(LayoutKind.Sequential, Size = 1)] internal readonly struct N1 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 2)] internal readonly struct N2 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 3)] internal readonly struct N3 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 4)] internal readonly struct N4 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 5)] internal readonly struct N5 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 6)] internal readonly struct N6 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 7)] internal readonly struct N7 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 8)] internal readonly struct N8 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 9)] internal readonly struct N9 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 10)] internal readonly struct N10 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 11)] internal readonly struct N11 : ICount;
[StructLayout(LayoutKind.Sequential, Size = 12)] internal readonly struct N12 : ICount;
