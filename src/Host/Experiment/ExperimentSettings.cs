namespace BitFusion.Host.Experiment;

/// <summary>What one `bitfusion experiment` run does. The defaults are the 2016 study's protocol.</summary>
internal sealed record ExperimentSettings
{
    public int[] Groups { get; init; } = [1, 2, 3, 4, 5];
    public int[] Faults { get; init; } = [1];
    public int Ops { get; init; } = 10_000;
    public int Step { get; init; } = 1_000;
    public string[] Mechanisms { get; init; } = ["fusion", "replication"];
    public bool KillBackups { get; init; }
    public int[] Sizes { get; init; } = [];
    public int Seed { get; init; } = 2016;
    public string Output { get; init; } = "experiment-out";
    public bool Json { get; init; }
    public string? Binary { get; init; }
    public string? HeapTool { get; init; }

    /// <summary>Round-trip times (ms) to add between nodes, each measured again through fault proxies; none: loopback only.</summary>
    public double[] Rtt { get; init; } = [];

    public string Describe() =>
        $"mechanisms {string.Join(", ", Mechanisms)}; g = {string.Join(",", Groups)}; f = {string.Join(",", Faults)}; " +
        $"{Ops:N0} appends per group, every node crashed (SIGKILL) and recovered after every {Step:N0}" +
        (KillBackups ? ", backups and up to f nodes at once too" : "") +
        (Sizes.Length > 0 ? $"; list-length sweep {string.Join(", ", Sizes.Select(s => s.ToString("N0")))} bits" : "") +
        (Rtt.Length > 0 ? $"; again with {string.Join(", ", Rtt.Select(r => r.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))} ms added per node-to-node round trip" : "") +
        $"; seed {Seed}.";
}
