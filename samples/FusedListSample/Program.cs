using FusedListSample;

// One executable, three roles: run without arguments it is the coordinator, which starts the others as its own
// child processes (a fused backup and two primaries), kills a primary and checks what the restarted one rebuilt.
return args switch
{
    ["backup", var config, var id] => await Roles.BackupAsync(config, int.Parse(id)),
    ["primary", var config, var id, var bits, var seed] => await Roles.PrimaryAsync(config, int.Parse(id), int.Parse(bits), int.Parse(seed)),
    [] => await Coordinator.RunAsync(10_000),
    ["--bits", var bits] => await Coordinator.RunAsync(int.Parse(bits)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: FusedListSample [--bits N]");
    return 2;
}
