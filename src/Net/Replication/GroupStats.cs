using BitFusion.Core.Replication;
using BitFusion.Net.Wire;
using BitFusion.Net.Diagnostics;

namespace BitFusion.Net.Replication;

/// <summary>What a manager measures per group: each write's update time, and each rejoin's pause.</summary>
internal sealed class GroupStats
{
    public LatencyLog UpdateTimes { get; } = new("replication");

    /// <summary>Pauses of completed rejoins, µs: from installing the view that admitted a joiner to its first report as serving.</summary>
    public List<float> Rejoins { get; } = [];
}
