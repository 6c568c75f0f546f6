using System.Diagnostics;
using Spectre.Console;

namespace BitFusion.Host.Experiment;

/// <summary>
/// The live display: one bar per configuration with operations and recoveries done, elapsed and remaining time.
/// Spectre.Console renders it in a terminal and degrades to plain lines when output is redirected.
/// </summary>
internal sealed class LiveProgress(ProgressContext context) : IProgressSink
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ProgressTask? _task;
    private int _recoveries, _totalRecoveries;
    private string _description = "";

    public void Configuration(string description, int totalOps, int totalRecoveries)
    {
        _task?.StopTask();
        _description = description;
        _recoveries = 0;
        _totalRecoveries = totalRecoveries;
        _task = context.AddTask(Markup.Escape(description), maxValue: Math.Max(1, totalOps + totalRecoveries));
    }

    public void Appended(int ops)
    {
        lock (this) _task?.Increment(ops);
    }

    public void Recovered(string what)
    {
        lock (this)
        {
            _recoveries++;
            if (_task is null) return;
            _task.Increment(1);
            _task.Description = Markup.Escape($"{_description}: {_recoveries}/{_totalRecoveries} recoveries (last: {what}), {_clock.Elapsed:mm\\:ss}");
        }
    }
}
