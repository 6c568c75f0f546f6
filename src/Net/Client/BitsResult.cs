namespace BitFusion.Net.Client;

/// <summary>A whole list as read from a server: its words, its bit length and the seq it reflects.</summary>
public sealed record BitsResult(ulong[] Words, long Length, long Seq);
