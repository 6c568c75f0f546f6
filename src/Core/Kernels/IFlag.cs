namespace BitFusion.Core.Kernels;

/// <summary>
/// A yes/no fixed when the JIT compiles a generic kernel. Kernels test it as <c>typeof(T) == typeof(Yes)</c>,
/// which the JIT folds while importing IL, so the branch and the code it skips cost nothing.
/// </summary>
internal interface IFlag;

internal readonly struct Yes : IFlag;
internal readonly struct No : IFlag;
