using System.CommandLine;

namespace BitFusion.Host.Commands;

/// <summary>
/// Active replication's processes (a manager, a data node, `bench replication`) run socket continuations on the
/// runtime's socket event threads instead of handing each wake-up to a thread-pool worker. A pipelined write crosses
/// four frame loops (client, manager, data nodes, manager again); with the hand-off every socket wake-up costs an
/// extra thread switch and a worker spinning for work (docs/benchmarks.md, "Socket completions on the event threads").
/// AR's frame loops never block (a handler parses, steps a machine under a short lock and queues sends; a state
/// transfer moves in chunks of at most 1 MiB), so running them on the event threads holds no connection up for long.
/// Fusion's roles and every other command keep the runtime's default, so their behaviour does not change. The switch
/// is process-wide and read when the first socket is made, so it is set before the command runs; an operator's own
/// setting of the variable wins.
/// </summary>
internal static class InlineCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void ApplyTo(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        bool replication = command.Name is "manager" or "datanode"
            || (command.Name == "replication" && parsed.CommandResult.Parent is System.CommandLine.Parsing.CommandResult { Command.Name: "bench" });
        if (replication && Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, "1");
    }
}
