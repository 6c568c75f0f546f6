namespace BitFusion.Net.Protocol;

/// <summary>A peer broke the protocol: the connection closes with this reason and nothing else changes.</summary>
public sealed class ProtocolException(string message) : Exception(message);
