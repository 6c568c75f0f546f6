namespace BitFusion.Core.Kernels;

/// <summary>A yes/no known when the JIT compiles a generic kernel, so the branch on it folds away.</summary>
internal interface IFlag
{
    static abstract bool Value { get; }
}

internal readonly struct Yes : IFlag { public static bool Value => true; }
internal readonly struct No : IFlag { public static bool Value => false; }
