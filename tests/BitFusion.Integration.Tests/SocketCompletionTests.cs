using BitFusion.Harness;
using BitFusion.Net.Config;

namespace BitFusion.Integration.Tests;

/// <summary>
/// Active replication's processes run socket continuations on the runtime's event threads (one per CPU when
/// inlining, named ".NET Sockets"); fusion's keep the runtime's default of one event thread that hands every
/// wake-up to the thread pool. Counted from /proc, so it is the shipped binary's behaviour, not a setting read back
/// (on a machine with one CPU both counts are 1 and the modes cannot be told apart this way).
/// </summary>
public sealed class SocketCompletionTests
{
    private const string EventThread = ".NET Sockets";

    [Fact]
    public async Task ReplicationRolesInlineSocketCompletionsAndFusionRolesDoNot()
    {
        // The runtime's engine counts: one per CPU when inlining, else one per 30 CPUs (at least one).
        int inline = Environment.ProcessorCount, handOff = Math.Max(1, (int)Math.Round(Environment.ProcessorCount / 30.0));
        var options = new FusionClusterOptions { Binary = HostBinary.Path };
        await using (ReplicationCluster ar = await ReplicationCluster.StartAsync(ClusterLayout.Build(0, 1, 1, 1, "127.0.0.1", 0), options))
        {
            foreach (NodeProcess node in ar.Nodes) Assert.True(EventThreads(node) == inline, $"{node}: {EventThreads(node)} event threads");
        }
        await using FusionCluster fusion = await FusionCluster.StartAsync(ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0), options);
        foreach (NodeProcess node in fusion.Nodes) Assert.True(EventThreads(node) == handOff, $"{node}: {EventThreads(node)} event threads");
    }

    private static int EventThreads(NodeProcess node) =>
        Directory.GetDirectories($"/proc/{node.Pid}/task").Count(t => File.ReadAllText(Path.Combine(t, "comm")).TrimEnd('\n') == EventThread);
}
