namespace BitFusion.Harness;

/// <summary>A child did not start, did not become ready in time, or exited early; the message carries its last output.</summary>
internal sealed class ChildProcessException(string message) : Exception(message);
