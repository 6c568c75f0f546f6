using BenchmarkDotNet.Running;
using BitFusion.Bench;

// dotnet run -c Release --project bench -- [--job short|full] [--aot] [BenchmarkDotNet options, e.g. --filter *Encode*]
// dotnet run -c Release --project bench -- --verify
// dotnet run -c Release --project bench -- --interleaved   (encode contenders in turn, ratios within each round)
// dotnet run -c Release --project bench -- --loop 5+2 Gfni512-into [16 [200000]]   (one encode in a loop, for perf stat)
// Our --job replaces BenchmarkDotNet's own --job (its Dry/Short/Medium presets), so it is taken out first.
List<string> rest = [.. args];
if (rest.Remove("--verify")) return Verifier.Run(Console.Out);
if (rest.Remove("--interleaved")) return InterleavedRun.Run(Console.Out);
if (rest.Remove("--loop")) return LoopRun.Run(rest, Console.Out);
bool aot = rest.Remove("--aot");

string run = BenchConfig.Short;
int jobAt = rest.IndexOf("--job");
if (jobAt >= 0)
{
    if (jobAt + 1 >= rest.Count)
    {
        Console.Error.WriteLine($"--job needs a value: {BenchConfig.Short} or {BenchConfig.Full}.");
        return 2;
    }
    run = rest[jobAt + 1];
    rest.RemoveRange(jobAt, 2);
    if (run is not (BenchConfig.Short or BenchConfig.Full))
    {
        Console.Error.WriteLine($"Unknown job '{run}': use {BenchConfig.Short} or {BenchConfig.Full}.");
        return 2;
    }
}
if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--allCategories" or "--anyCategories")) rest.AddRange(["--filter", "*"]);

Console.WriteLine(IsaL.Status);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], BenchConfig.Create(run, aot));
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
