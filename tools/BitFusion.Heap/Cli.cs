using System.CommandLine;
using System.Globalization;
using BitFusion.Heap.Report;

namespace BitFusion.Heap;

/// <summary>The <c>bitfusion-heap</c> command line. Exit codes: 0 success, 1 bad arguments, and one code per
/// <see cref="HeapProfilerError"/> (3 and up) so scripts can tell a vanished process from a lossy dump.</summary>
public static class Cli
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var pid = new Argument<int>("pid") { Description = "Id of the running .NET process to profile." };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON." };
        var types = new Option<string[]>("--type")
        {
            Description = "Full name of a type whose instances are reported one by one (repeatable). Default: " +
                          string.Join(", ", HeapProfileOptions.DefaultBackupTypes) + ".",
            AllowMultipleArgumentsPerToken = false,
        };
        var shared = new Option<string[]>("--shared")
        {
            Description = "Full name of a type that belongs to the whole process, so its instances count toward no backup (repeatable; " +
                          "'none' for no such type). Default: " + string.Join(", ", HeapProfileOptions.DefaultSharedTypes) + ".",
        };
        var top = new Option<int>("--top") { Description = "How many of the largest types to list.", DefaultValueFactory = _ => 10 };
        var buffer = new Option<int>("--buffer-mb") { Description = "EventPipe buffer size in the target, in MB.", DefaultValueFactory = _ => 256 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the heap walk.", DefaultValueFactory = _ => 60 };
        var symbols = new Option<string?>("--symbols") { Description = "ELF symbol file of a native-AOT target (default: the .dbg beside its binary)." };
        var root = new RootCommand("Reports the exact bytes each BitFusion backup object retains in a running process, from a GC heap dump taken over EventPipe.")
        {
            pid, json, types, shared, top, buffer, timeout, symbols,
        };
        root.SetAction(parse =>
        {
            string[] wanted = parse.GetValue(types) ?? [];
            string[] sharedTypes = parse.GetValue(shared) ?? [];
            var options = new HeapProfileOptions
            {
                BackupTypes = wanted.Length > 0 ? wanted : HeapProfileOptions.DefaultBackupTypes,
                SharedTypes = sharedTypes.Length == 0 ? HeapProfileOptions.DefaultSharedTypes : [.. sharedTypes.Where(x => x != "none")],
                TopTypes = parse.GetValue(top),
                BufferMegabytes = parse.GetValue(buffer),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                SymbolFile = parse.GetValue(symbols),
            };
            try
            {
                HeapReport report = HeapProfiler.Profile(parse.GetValue(pid), options);
                output.Write(parse.GetValue(json) ? JsonFormatter.Format(report) : TableFormatter.Format(report));
                return 0;
            }
            catch (HeapProfilerException e)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bitfusion-heap: {e.Message}"));
                return ExitCode(e.Error);
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"bitfusion-heap: {e.Message}");
                return 1;
            }
        });
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    public static int ExitCode(HeapProfilerError error) => 3 + (int)error;
}
