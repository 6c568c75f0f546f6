namespace BitFusion.Core.Kernels;

/// <summary>The vector width an XOR kernel runs at. Chosen at run time; tests force each one.</summary>
public enum XorTier
{
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}
