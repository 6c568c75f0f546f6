using System.CommandLine;
using BitFusion.Host.Experiment;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Commands;

/// <summary>`bitfusion experiment`: the main job. With no arguments it runs the 2016 study's protocol on loopback.</summary>
internal static class ExperimentCommand
{
    private static readonly int[] ExtendedSizes = [10_000, 100_000, 1_000_000, 10_000_000];

    public static Command Create()
    {
        var groups = new Option<int[]>("--groups", "-g") { Description = "Group counts g (fusion: g primaries; replication: g groups).", DefaultValueFactory = _ => [1, 2, 3, 4, 5], AllowMultipleArgumentsPerToken = true };
        var faults = new Option<int[]>("--faults", "-f") { Description = "Values of f, 1..3 (fusion: f backups; replication: f + 1 data nodes per group).", DefaultValueFactory = _ => [1], AllowMultipleArgumentsPerToken = true };
        var ops = new Option<int>("--ops") { Description = "Appends of a random bit per group.", DefaultValueFactory = _ => 10_000 };
        var step = new Option<int>("--step") { Description = "Appends between crash rounds (every node is killed with SIGKILL and recovered).", DefaultValueFactory = _ => 1_000 };
        var mechanism = new Option<string>("--mechanism", "-m") { Description = "fusion, replication or both.", DefaultValueFactory = _ => "both" };
        mechanism.AcceptOnlyFromAmong("fusion", "replication", "both");
        var killBackups = new Option<bool>("--kill-backups") { Description = "Also crash fusion backups, and f processes at once when f > 1." };
        var sizes = new Option<int[]>("--sizes") { Description = "List lengths (bits) for the recovery-vs-length and space-vs-length sweep.", AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Seed for the random bits and crash choices.", DefaultValueFactory = _ => 2016 };
        var output = new Option<string>("--out", "-o") { Description = "Output folder for report.md, CSVs and plots.", DefaultValueFactory = _ => "experiment-out" };
        var json = new Option<bool>("--json") { Description = "Also write summary.json." };
        var extended = new Option<bool>("--extended") { Description = "f = 1..3, backups crashed too, and a size sweep up to 10^7 bits." };
        var binary = new Option<string?>("--binary") { Description = "The bitfusion binary to start nodes with (default: this one)." };
        var rtt = new Option<string?>("--rtt")
        {
            Description = "Repeat the update and recovery measurements with this much added to every node-to-node round trip, in ms, " +
                          "comma-separated (e.g. 0,0.2,1,5): node links pass fault proxies that delay each direction by half.",
        };
        var heapTool = new Option<string?>("--heap-tool") { Description = "The bitfusion-heap binary (default: found beside this one or in the build outputs)." };
        var command = new Command("experiment",
            "Reproduce and extend the 2016 fusion vs active replication study with real processes on loopback: update " +
            "time, recovery time after SIGKILL (every recovery verified), exact backup space and wire bytes; writes " +
            "report.md, CSVs and PNG plots. With no options: f = 1, g = 1..5, 10,000 appends per group, crashes every 1,000.")
        { groups, faults, ops, step, mechanism, killBackups, sizes, seed, output, json, extended, binary, heapTool, rtt };
        command.SetAction(async (result, cancellation) =>
        {
            bool ext = result.GetValue(extended);
            if (ParseRtt(result.GetValue(rtt)) is not { } rtts)
            {
                Console.Error.WriteLine($"error: --rtt takes milliseconds 0..1000, comma-separated and each once (e.g. --rtt 0,0.2,1,5); got '{result.GetValue(rtt)}'.");
                return 2;
            }
            var settings = new ExperimentSettings
            {
                Groups = result.GetValue(groups)!,
                Faults = ext && result.GetResult(faults) is null ? [1, 2, 3] : result.GetValue(faults)!,
                Ops = result.GetValue(ops),
                Step = result.GetValue(step),
                Mechanisms = result.GetValue(mechanism) switch { "fusion" => ["fusion"], "replication" => ["replication"], _ => ["fusion", "replication"] },
                KillBackups = result.GetValue(killBackups) || ext,
                Sizes = result.GetValue(sizes) is { Length: > 0 } s ? s : ext ? ExtendedSizes : [],
                Seed = result.GetValue(seed),
                Output = result.GetValue(output)!,
                Json = result.GetValue(json),
                Binary = result.GetValue(binary),
                HeapTool = result.GetValue(heapTool),
                Rtt = rtts,
            };
            if (Validate(settings) is { } problem)
            {
                Console.Error.WriteLine($"error: {problem}");
                return 2;
            }
            Log.Name = "experiment";
            Log.Quiet = true;
            return await ExperimentRunner.RunAsync(settings, cancellation);
        });
        return command;
    }

    /// <summary>The --rtt list, empty when not given; null when it is not milliseconds 0..1000, each given once.</summary>
    private static double[]? ParseRtt(string? text)
    {
        if (text is null) return [];
        var values = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double ms)
                || !double.IsFinite(ms) || ms is < 0 or > 1000 || values.Contains(ms))
                return null;
            values.Add(ms);
        }
        return [.. values];
    }

    private static string? Validate(ExperimentSettings s)
    {
        if (s.Groups.Length == 0 || s.Groups.Any(g => g is < 1 or > 64)) return "--groups values must be 1..64.";
        if (s.Faults.Length == 0 || s.Faults.Any(f => f is < 1 or > 3)) return "--faults values must be 1..3.";
        if (s.Ops < 1) return "--ops must be at least 1.";
        if (s.Step < 1 || s.Step > s.Ops) return $"--step must be 1..{s.Ops} (the number of appends).";
        if (s.Sizes.Any(b => b is < 1 or > 1_000_000_000)) return "--sizes values must be 1..10^9 bits.";
        if (s.Binary is { } b && !File.Exists(b)) return $"--binary {b} does not exist.";
        if (s.HeapTool is { } h && !File.Exists(h)) return $"--heap-tool {h} does not exist.";
        return null;
    }
}
