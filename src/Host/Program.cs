using System.CommandLine;
using BitFusion.Host.Commands;

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
return await root.Parse(args).InvokeAsync();
