using System.CommandLine;
using System.Net.Sockets;
using BitFusion.Host.Commands;
using BitFusion.Net.Config;

FusionWarmup.StartFor(args);
var root = new RootCommand(
    "BitFusion keeps in-memory bit lists alive through crash faults, by fusion (coded backups) or by active " +
    "replication (Skeen-ordered replica groups), and measures the price of each. Every role runs from this one " +
    "binary; start with `bitfusion experiment`.")
{
    ExperimentCommand.Create(),
    NodeCommands.Backup(),
    NodeCommands.Primary(),
    NodeCommands.Manager(),
    NodeCommands.DataNode(),
    ClientCommand.Create(),
    ConfigCommand.Create(),
    BenchCommand.Create(),
};
root.Options.OfType<VersionOption>().Single().Action = new VersionAction();
// Bad configuration is the operator's to fix: one line naming it and exit 2, never a stack trace. That includes an
// address a node cannot listen on, which only shows once the node binds.
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message} (see --help)");
    return 2;
}
InlineCompletions.ApplyTo(parsed);
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable or SocketError.AccessDenied)
{
    Console.Error.WriteLine($"error: {CommonOptions.Starting ?? "this node"} cannot listen on its address: {e.Message}");
    return 2;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.Error.WriteLine($"internal error: {e}");
    return 1;
}
