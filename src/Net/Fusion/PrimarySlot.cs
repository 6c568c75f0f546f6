using BitFusion.Net.Transport;

namespace BitFusion.Net.Fusion;

/// <summary>What a backup knows of one primary beyond its fused contribution: its live connection and its phase.</summary>
internal sealed class PrimarySlot
{
    public Connection? Connection;

    /// <summary>The backup holds this primary's contribution (from the start of the cluster or a snapshot).</summary>
    public bool Loaded;

    /// <summary>The primary is up, holds its list and streams deltas; false while it is down or recovering.</summary>
    public bool Serving;

    public readonly RetainedDeltas Retained = new();
}
