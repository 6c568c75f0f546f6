using System.Diagnostics;
using Spectre.Console;

namespace BitFusion.Host.Experiment;

/// <summary>Runs every configuration of an experiment, then writes the report, the CSVs and the plots.</summary>
internal static class ExperimentRunner
{
    public static async Task<int> RunAsync(ExperimentSettings settings, CancellationToken cancellation)
    {
        string binary = settings.Binary ?? Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell where this binary is; pass --binary.");
        HeapTool heap;
        try
        {
            heap = HeapTool.Locate(settings.HeapTool, binary);
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        // Redirected output (a log, CI) has no terminal width; wide tables should not wrap mid-word there.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        string output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(output);
        AnsiConsole.MarkupLine($"[bold]BitFusion experiment[/]: {Markup.Escape(settings.Describe())}");
        AnsiConsole.MarkupLine($"nodes: {Markup.Escape(binary)}; space: {Markup.Escape(heap.Path)}; output: {Markup.Escape(output)}");

        var m = new Measurements();
        var clock = Stopwatch.StartNew();
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var progress = new LiveProgress(context);
                foreach (int f in settings.Faults)
                    foreach (string mechanism in settings.Mechanisms)
                        foreach (int g in settings.Groups)
                        {
                            cancellation.ThrowIfCancellationRequested();
                            int steps = (settings.Ops + settings.Step - 1) / settings.Step;
                            int perStep = mechanism == "fusion" ? g + (settings.KillBackups ? f + (f > 1 ? 1 : 0) : 0) : g * (f + 1);
                            progress.Configuration($"{mechanism} g={g} f={f}", settings.Ops * g, steps * perStep);
                            try
                            {
                                if (mechanism == "fusion") await new FusionRun(settings, binary, heap, m, progress).RunAsync(g, f, cancellation);
                                else await new ReplicationRun(settings, binary, heap, m, progress).RunAsync(g, f, cancellation);
                            }
                            catch (Exception e) when (e is not OperationCanceledException)
                            {
                                m.Failures.Add($"{mechanism} g={g} f={f} aborted: {e.Message}");
                            }
                        }
                if (settings.Rtt.Length > 0) await new RttSweep(settings, binary, heap, m, progress).RunAsync(cancellation);
                foreach (int f in settings.Faults)
                    foreach (int bits in settings.Sizes)
                    {
                        progress.Configuration($"size sweep {bits:N0} bits f={f}", 0, settings.Mechanisms.Length);
                        try
                        {
                            await new SizeSweep(settings, binary, heap, m, progress).RunAsync(bits, f, cancellation);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            m.Failures.Add($"size sweep {bits} bits f={f} aborted: {e.Message}");
                        }
                    }
            });

        List<string> plots = Plots.WriteAll(m, output);
        ReportWriter.Write(m, settings, output, plots, clock.Elapsed);
        ConsoleSummary.Print(m);
        AnsiConsole.MarkupLine($"report: {Markup.Escape(Path.Combine(output, "report.md"))} ({plots.Count} plots, CSVs beside it)");
        if (m.Failures.Count > 0)
        {
            AnsiConsole.MarkupLine($"[red bold]{m.Failures.Count} failure(s):[/]");
            foreach (string failure in m.Failures) AnsiConsole.MarkupLine($"[red]  {Markup.Escape(failure)}[/]");
            return 1;
        }
        return 0;
    }
}
